import { describe, expect, it } from 'vitest';
import {
  CLIENT_COMMANDS,
  DEFAULT_LIMITS,
  FrameDecoder,
  SERVER_COMMANDS,
  StompProtocolError,
  encodeFrame,
  negotiateHeartbeat,
  type Decoded,
  type DecoderLimits,
  type StompFrame,
} from '../../../src/protocol/stompFrame.js';

const ALL_COMMANDS = new Set([...CLIENT_COMMANDS, ...SERVER_COMMANDS]);
const HB = { command: 'HEARTBEAT' } as const;

/** Decodes a stream delivered as the given chunks with one decoder; returns every result in order. */
function decodeChunks(chunks: readonly (Buffer | string)[], commands: Set<string> = ALL_COMMANDS, limits?: DecoderLimits): Decoded[] {
  const decoder = new FrameDecoder(commands, limits);
  return chunks.flatMap((chunk) => decoder.push(chunk));
}

const decode = (data: Buffer | string, commands?: Set<string>, limits?: DecoderLimits) => decodeChunks([data], commands, limits);

/** Every way to cut the bytes in two (including an empty first or last chunk). */
function twoWaySplits(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  return out;
}

/** Every way to cut the bytes in three. */
function threeWaySplits(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let i = 0; i <= bytes.length; i++) {
    for (let j = i; j <= bytes.length; j++) out.push([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
  }
  return out;
}

const byteByByte = (bytes: Buffer): Buffer[] => [...bytes].map((b) => Buffer.from([b]));

/** The error a call throws (fails the test when nothing, or something other than a StompProtocolError, is thrown). */
function protocolError(fn: () => unknown): StompProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a StompProtocolError').toBeInstanceOf(StompProtocolError);
  return caught as StompProtocolError;
}

/** The frame as the decoder returns it: encodeFrame adds content-length to a non-empty body. */
function asDecoded(frame: StompFrame): StompFrame {
  if (frame.body === '' || frame.headers['content-length'] !== undefined) return frame;
  return { ...frame, headers: { ...frame.headers, 'content-length': String(Buffer.byteLength(frame.body)) } };
}

const BODIES: Record<string, string> = {
  empty: '',
  ascii: 'hello, world',
  utf8: 'héllo wörld – ✓ 日本語 😀👍🏽',
  json: JSON.stringify({ clusterName: 'c1', hosts: ['h1', 'h2'], nested: { a: [1, 2, { b: null }], s: 'x:y\\z\n' } }),
  nul: 'before\0middle\0after\0',
  eols: '\n\r\n\n',
};

describe('encode → decode round trip', () => {
  const cases = [
    ...[...CLIENT_COMMANDS].map((command) => ({ command, side: 'client', commands: CLIENT_COMMANDS })),
    ...[...SERVER_COMMANDS].map((command) => ({ command, side: 'server', commands: SERVER_COMMANDS })),
  ];
  const table = cases.flatMap((c) => Object.entries(BODIES).map(([bodyName, body]) => ({ ...c, bodyName, body })));

  it.each(table)('$command ($side) with a $bodyName body', ({ command, commands, body }) => {
    const frame: StompFrame = {
      command,
      headers: { destination: '/user/queue/x', 'message-id': '42', receipt: 'r-7', 'x-empty': '', 'x-unicode': 'ünï – 😀' },
      body,
    };
    const [decoded, ...rest] = decode(encodeFrame(frame), commands);
    expect(rest).toEqual([]);
    expect(decoded).toEqual(asDecoded(frame));
  });

  it('covers every command of STOMP 1.2 and nothing else', () => {
    expect([...CLIENT_COMMANDS].sort()).toEqual(['ABORT', 'ACK', 'BEGIN', 'COMMIT', 'CONNECT', 'DISCONNECT', 'NACK', 'SEND', 'STOMP', 'SUBSCRIBE', 'UNSUBSCRIBE']);
    expect([...SERVER_COMMANDS].sort()).toEqual(['CONNECTED', 'ERROR', 'MESSAGE', 'RECEIPT']);
  });

  it('encodes the exact wire format, adding content-length (in bytes) only to a non-empty body', () => {
    expect(encodeFrame({ command: 'SEND', headers: { destination: '/a' }, body: 'hi' })).toBe('SEND\ndestination:/a\ncontent-length:2\n\nhi\0');
    expect(encodeFrame({ command: 'DISCONNECT', headers: { receipt: '1' }, body: '' })).toBe('DISCONNECT\nreceipt:1\n\n\0');
    expect(encodeFrame({ command: 'SEND', headers: {}, body: 'é😀' })).toBe('SEND\ncontent-length:6\n\né😀\0');
  });

  it('keeps a content-length the caller supplied and does not modify the caller’s headers', () => {
    const headers = { 'content-length': '2' };
    expect(encodeFrame({ command: 'SEND', headers, body: 'hi' })).toBe('SEND\ncontent-length:2\n\nhi\0');
    const mine = { destination: '/a' };
    encodeFrame({ command: 'SEND', headers: mine, body: 'xyz' });
    expect(mine).toEqual({ destination: '/a' });
  });

  it('reads a body containing NUL bytes through content-length', () => {
    const raw = Buffer.concat([Buffer.from('MESSAGE\ncontent-length:5\n\n'), Buffer.from([0, 1, 0, 0, 2]), Buffer.from([0])]);
    expect(decode(raw)).toEqual([{ command: 'MESSAGE', headers: { 'content-length': '5' }, body: '\0\x01\0\0\x02' }]);
  });

  it('reads a body up to the first NUL when there is no content-length', () => {
    expect(decode('MESSAGE\nid:1\n\nabc\0')).toEqual([{ command: 'MESSAGE', headers: { id: '1' }, body: 'abc' }]);
    expect(decode('MESSAGE\n\n\0')).toEqual([{ command: 'MESSAGE', headers: {}, body: '' }]);
  });

  it('accepts content-length:0 and content-length with leading zeros', () => {
    expect(decode('SEND\ncontent-length:0\n\n\0')).toEqual([{ command: 'SEND', headers: { 'content-length': '0' }, body: '' }]);
    expect(decode('SEND\ncontent-length:003\n\na\0b\0')).toEqual([{ command: 'SEND', headers: { 'content-length': '003' }, body: 'a\0b' }]);
  });

  it('round-trips headers named like Object.prototype members as ordinary headers', () => {
    const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__', '__defineGetter__'];
    const raw = `MESSAGE\n${names.map((n, i) => `${n}:v${i}\n`).join('')}\n\0`;
    const [frame] = decode(raw) as StompFrame[];
    expect(frame!.command).toBe('MESSAGE');
    names.forEach((name, i) => {
      expect(Object.getOwnPropertyDescriptor(frame!.headers, name)?.value, name).toBe(`v${i}`);
    });
    expect(Object.keys(frame!.headers).sort()).toEqual([...names].sort());
    // Nothing leaked onto the shared prototype.
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(Object.keys(Object.prototype)).toEqual([]);
    // And the same frame survives encode → decode.
    const [again] = decode(encodeFrame(frame!)) as StompFrame[];
    names.forEach((name, i) => expect(Object.getOwnPropertyDescriptor(again!.headers, name)?.value, name).toBe(`v${i}`));
  });
});

describe('header escaping', () => {
  const nasty = 'a\\b\nc\rd:e';
  const escaped = 'a\\\\b\\nc\\rd\\ce';
  const escapingCommands = [...ALL_COMMANDS].filter((c) => c !== 'CONNECT' && c !== 'CONNECTED');

  it.each(escapingCommands)('%s escapes \\\\ \\n \\r and : in header names and values, and decodes them back', (command) => {
    const frame: StompFrame = { command, headers: { [nasty]: nasty, plain: 'x' }, body: '' };
    const wire = encodeFrame(frame);
    expect(wire).toBe(`${command}\n${escaped}:${escaped}\nplain:x\n\n\0`);
    expect(decode(wire)).toEqual([frame]);
  });

  it.each(['CONNECT', 'CONNECTED'])('%s does not escape headers, and decodes backslashes literally', (command) => {
    const frame: StompFrame = { command, headers: { login: 'us\\er', passcode: 'a:b\\c', host: 'h:1' }, body: '' };
    const wire = encodeFrame(frame);
    expect(wire).toBe(`${command}\nlogin:us\\er\npasscode:a:b\\c\nhost:h:1\n\n\0`);
    expect(decode(wire)).toEqual([frame]);
    // Sequences that are escapes elsewhere (and ones that would be undefined) stay as they are.
    expect(decode(`${command}\nx:\\n\\c\\t\\\n\n\0`)).toEqual([{ command, headers: { x: '\\n\\c\\t\\' }, body: '' }]);
  });

  it('decodes every defined escape in names and values', () => {
    expect(decode('MESSAGE\nk\\cey\\\\:v\\\\\\n\\r\\c\\c\n\n\0')).toEqual([{ command: 'MESSAGE', headers: { 'k:ey\\': 'v\\\n\r::' }, body: '' }]);
  });

  it('splits a header line at the first colon', () => {
    expect(decode('CONNECT\nhost:a:b:c\n\n\0')).toEqual([{ command: 'CONNECT', headers: { host: 'a:b:c' }, body: '' }]);
    expect(decode('SEND\nk:\n\n\0')).toEqual([{ command: 'SEND', headers: { k: '' }, body: '' }]);
  });

  it.each([
    ['\\t in a value', 'SEND\nk:a\\tb\n\n\0'],
    ['\\x in a value', 'MESSAGE\nk:\\x41\n\n\0'],
    ['\\C (upper case) in a value', 'SEND\nk:\\C\n\n\0'],
    ['a trailing backslash in a value', 'SEND\nk:abc\\\n\n\0'],
    ['\\t in a name', 'SEND\nk\\t:v\n\n\0'],
    ['a trailing backslash in a name', 'ERROR\nk\\:v\n\n\0'],
    ['\\ followed by a space', 'RECEIPT\nreceipt-id:a\\ b\n\n\0'],
    ['\\ followed by a multi-byte character', 'SEND\nk:\\é\n\n\0'],
    ['\\t in a repeated header (whose value is ignored)', 'SEND\nk:ok\nk:a\\tb\n\n\0'],
  ])('rejects an undefined escape sequence: %s', (_name, raw) => {
    expect(() => decode(raw)).toThrow(StompProtocolError);
  });

  it('keeps the first occurrence of a repeated header', () => {
    expect(decode('MESSAGE\nfoo:first\nfoo:second\nbar:x\nfoo:third\n\n\0')).toEqual([
      { command: 'MESSAGE', headers: { foo: 'first', bar: 'x' }, body: '' },
    ]);
    // Also when the names only match once unescaped.
    expect(decode('MESSAGE\na\\cb:first\na\\cb:second\n\n\0')).toEqual([{ command: 'MESSAGE', headers: { 'a:b': 'first' }, body: '' }]);
  });

  it('uses the first content-length when it is repeated', () => {
    expect(decode('SEND\ncontent-length:3\ncontent-length:1\n\na\0b\0')).toEqual([
      { command: 'SEND', headers: { 'content-length': '3' }, body: 'a\0b' },
    ]);
  });
});

describe('partial frames', () => {
  const frames: StompFrame[] = [
    { command: 'MESSAGE', headers: { destination: '/events/topologies', 'message-id': '1', 'x-ü': 'ö😀' }, body: '{"a":"日本"}' },
    { command: 'RECEIPT', headers: { 'receipt-id': 'r:1' }, body: '' },
    { command: 'MESSAGE', headers: { destination: '/q' }, body: 'nul\0inside' },
    { command: 'ERROR', headers: { message: 'bad\nthing' }, body: 'details 👍' },
  ];
  // Heart-beats before, between and after the frames, as LF and CR LF.
  const stream = Buffer.from(`\n${encodeFrame(frames[0]!)}\r\n\n${encodeFrame(frames[1]!)}${encodeFrame(frames[2]!)}\n${encodeFrame(frames[3]!)}\r\n`);
  const expected: Decoded[] = [HB, asDecoded(frames[0]!), HB, HB, asDecoded(frames[1]!), asDecoded(frames[2]!), HB, asDecoded(frames[3]!), HB];

  it('decodes the stream pushed at once', () => {
    expect(decode(stream)).toEqual(expected);
  });

  it('decodes the stream pushed byte by byte', () => {
    expect(decodeChunks(byteByByte(stream))).toEqual(expected);
  });

  it('decodes the stream cut in two at every position', () => {
    for (const chunks of twoWaySplits(stream)) {
      expect(decodeChunks(chunks), `split at ${chunks[0]!.length}`).toEqual(expected);
    }
  });

  it('decodes a small frame cut in three at every pair of positions (CR LF line ends, content-length body)', () => {
    const raw = Buffer.from('SEND\r\nd:é\r\ncontent-length:4\r\n\r\n😀\0\r\nACK\nid:1\n\n\0');
    const want: Decoded[] = [
      { command: 'SEND', headers: { d: 'é', 'content-length': '4' }, body: '😀' },
      HB,
      { command: 'ACK', headers: { id: '1' }, body: '' },
    ];
    expect(decode(raw)).toEqual(want);
    for (const chunks of threeWaySplits(raw)) {
      expect(decodeChunks(chunks), `split at ${chunks[0]!.length}/${chunks[0]!.length + chunks[1]!.length}`).toEqual(want);
    }
  });

  it('joins multi-byte UTF-8 characters split across chunks, in headers and in bodies', () => {
    const raw = Buffer.from('MESSAGE\nk:😀\n\n€😀\0');
    const emojiInHeader = raw.indexOf(Buffer.from('😀'));
    const euroInBody = raw.indexOf(Buffer.from('€'));
    const want = [{ command: 'MESSAGE', headers: { k: '😀' }, body: '€😀' }];
    for (const at of [emojiInHeader + 1, emojiInHeader + 2, emojiInHeader + 3, euroInBody + 1, euroInBody + 2, euroInBody + 4, euroInBody + 5]) {
      expect(decodeChunks([raw.subarray(0, at), raw.subarray(at)]), `split at ${at}`).toEqual(want);
    }
  });

  it('waits for the whole content-length body, even when it holds NULs', () => {
    const decoder = new FrameDecoder(ALL_COMMANDS);
    expect(decoder.push('SEND\ncontent-length:6\n\n')).toEqual([]);
    expect(decoder.push('ab\0')).toEqual([]);
    expect(decoder.push('\0c')).toEqual([]);
    expect(decoder.push('d')).toEqual([]);
    expect(decoder.push('\0')).toEqual([{ command: 'SEND', headers: { 'content-length': '6' }, body: 'ab\0\0cd' }]);
    expect(decoder.pending).toBe(0);
  });

  it('reports the buffered bytes in pending', () => {
    const decoder = new FrameDecoder(ALL_COMMANDS);
    expect(decoder.pending).toBe(0);
    decoder.push('SEND\ndest');
    expect(decoder.pending).toBe(9);
    decoder.push(Buffer.from('ination:é\n'));
    expect(decoder.pending).toBe(9 + 11);
    expect(decoder.push('\nbody')).toHaveLength(0);
    expect(decoder.pending).toBe(9 + 11 + 5);
    // The frame completes; the start of the next one stays buffered.
    expect(decoder.push('\0\nMESS')).toEqual([{ command: 'SEND', headers: { destination: 'é' }, body: 'body' }, HB]);
    expect(decoder.pending).toBe(4);
    expect(decoder.push('AGE\n\n\0')).toEqual([{ command: 'MESSAGE', headers: {}, body: '' }]);
    expect(decoder.pending).toBe(0);
    // Heart-beats are consumed, not buffered.
    expect(decoder.push('\n\r\n')).toEqual([HB, HB]);
    expect(decoder.pending).toBe(0);
  });

  it('does not lose frames pushed after an empty chunk', () => {
    const decoder = new FrameDecoder(ALL_COMMANDS);
    expect(decoder.push(Buffer.alloc(0))).toEqual([]);
    expect(decoder.push('')).toEqual([]);
    expect(decoder.push('ACK\nid:1\n\n\0')).toEqual([{ command: 'ACK', headers: { id: '1' }, body: '' }]);
  });
});

describe('several frames and heart-beats', () => {
  it('returns several frames from one message, in order', () => {
    const raw = 'SUBSCRIBE\nid:1\ndestination:/a\n\n\0SUBSCRIBE\nid:2\ndestination:/b\n\n\0SEND\ndestination:/c\ncontent-length:1\n\nx\0';
    expect(decode(raw)).toEqual([
      { command: 'SUBSCRIBE', headers: { id: '1', destination: '/a' }, body: '' },
      { command: 'SUBSCRIBE', headers: { id: '2', destination: '/b' }, body: '' },
      { command: 'SEND', headers: { destination: '/c', 'content-length': '1' }, body: 'x' },
    ]);
  });

  it('returns one HEARTBEAT per LF or CR LF', () => {
    expect(decode('\n')).toEqual([HB]);
    expect(decode('\r\n')).toEqual([HB]);
    expect(decode('\n\n\r\n\n')).toEqual([HB, HB, HB, HB]);
  });

  it('returns heart-beats before, between and after frames', () => {
    expect(decode('\r\n\nRECEIPT\nreceipt-id:1\n\n\0\n\r\nRECEIPT\nreceipt-id:2\n\n\0\r\n\n\n')).toEqual([
      HB,
      HB,
      { command: 'RECEIPT', headers: { 'receipt-id': '1' }, body: '' },
      HB,
      HB,
      { command: 'RECEIPT', headers: { 'receipt-id': '2' }, body: '' },
      HB,
      HB,
      HB,
    ]);
  });

  it('decodes a frame whose lines end in CR LF, without CRs in the result', () => {
    expect(decode('MESSAGE\r\ndestination:/q\r\nmessage-id:1\r\n\r\nhi\0')).toEqual([
      { command: 'MESSAGE', headers: { destination: '/q', 'message-id': '1' }, body: 'hi' },
    ]);
    expect(decode('SEND\r\n\r\n\0')).toEqual([{ command: 'SEND', headers: {}, body: '' }]);
    // Mixed line ends.
    expect(decode('SEND\na:1\r\nb:2\n\r\nbody\r\n\0')).toEqual([{ command: 'SEND', headers: { a: '1', b: '2' }, body: 'body\r\n' }]);
  });

  it('rejects a CR that is not followed by LF between frames', () => {
    expect(() => decode('\rSEND\n\n\0')).toThrow(StompProtocolError);
    expect(() => decode('SEND\n\n\0\r\r\n')).toThrow(StompProtocolError);
  });

  it('rejects a stray CR between frames also when it ends a chunk', () => {
    const decoder = new FrameDecoder(ALL_COMMANDS);
    expect(decoder.push('SEND\n\n\0\r')).toEqual([{ command: 'SEND', headers: {}, body: '' }]);
    expect(() => decoder.push('SEND\n\n\0')).toThrow(StompProtocolError);
  });

  it('keeps a CR that ends a chunk until its LF arrives', () => {
    const decoder = new FrameDecoder(ALL_COMMANDS);
    expect(decoder.push('\r')).toEqual([]);
    expect(decoder.pending).toBe(1);
    expect(decoder.push('\n')).toEqual([HB]);
    expect(decoder.pending).toBe(0);
  });
});

describe('limits and malformed input', () => {
  const small: DecoderLimits = { maxHeaderBytes: 32, maxHeaders: 4, maxBodyBytes: 16 };

  /**
   * A SEND frame with one header `k` whose command line plus headers take exactly `size` bytes,
   * counted up to the LF that ends the last header line (so with CR LF line ends its CR counts).
   */
  function frameWithHeaderBytes(size: number, eol: string): { raw: Buffer; value: string } {
    const start = `SEND${eol}k:`;
    const value = 'v'.repeat(size - start.length - (eol.length - 1));
    return { raw: Buffer.from(`${start}${value}${eol}${eol}\0`), value };
  }

  it('has the documented defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxHeaderBytes: 64 * 1024, maxHeaders: 100, maxBodyBytes: 64 * 1024 * 1024 });
  });

  it('uses the default limits when none are given', () => {
    const body = 'b'.repeat(1024 * 1024);
    expect(decode(`SEND\ncontent-length:${body.length}\n\n${body}\0`)).toEqual([{ command: 'SEND', headers: { 'content-length': String(body.length) }, body }]);
    expect(() => decode(`SEND\nk:${'v'.repeat(64 * 1024)}\n\n\0`)).toThrow(StompProtocolError);
    const many = Array.from({ length: 101 }, (_, i) => `h${i}:v\n`).join('');
    expect(() => decode(`SEND\n${many}\n\0`)).toThrow(StompProtocolError);
    expect(() => decode(`SEND\ncontent-length:${64 * 1024 * 1024 + 1}\n\n`)).toThrow(StompProtocolError);
  });

  it.each(['\n', '\r\n'])('accepts headers of exactly maxHeaderBytes however they are split (EOL %j)', (eol) => {
    const { raw, value } = frameWithHeaderBytes(small.maxHeaderBytes, eol);
    const want = [{ command: 'SEND', headers: { k: value }, body: '' }];
    expect(decode(raw, ALL_COMMANDS, small)).toEqual(want);
    for (const chunks of twoWaySplits(raw)) {
      expect(decodeChunks(chunks, ALL_COMMANDS, small), `split at ${chunks[0]!.length}`).toEqual(want);
    }
  });

  it.each(['\n', '\r\n'])('rejects headers of maxHeaderBytes + 1 however they are split (EOL %j)', (eol) => {
    const { raw } = frameWithHeaderBytes(small.maxHeaderBytes + 1, eol);
    for (const chunks of twoWaySplits(raw)) {
      expect(() => decodeChunks(chunks, ALL_COMMANDS, small), `split at ${chunks[0]!.length}`).toThrow(StompProtocolError);
    }
  });

  it('rejects unterminated headers as soon as they exceed maxHeaderBytes, without buffering more', () => {
    expect(() => decode(`SEND\nk:${'v'.repeat(100)}`, ALL_COMMANDS, small)).toThrow(StompProtocolError);
    const decoder = new FrameDecoder(ALL_COMMANDS, small);
    const endless = Buffer.from(`SEND\nk:${'v'.repeat(1000)}`);
    let thrown: unknown;
    let pushed = 0;
    for (const byte of byteByByte(endless)) {
      try {
        decoder.push(byte);
      } catch (error) {
        thrown = error;
        break;
      }
      pushed++;
      expect(decoder.pending).toBeLessThanOrEqual(small.maxHeaderBytes + 2);
    }
    expect(thrown).toBeInstanceOf(StompProtocolError);
    expect(pushed).toBe(small.maxHeaderBytes);
  });

  it('rejects unterminated headers made only of header lines (many short lines)', () => {
    const decoder = new FrameDecoder(ALL_COMMANDS, small);
    expect(() => {
      for (let i = 0; i < 100; i++) decoder.push('a:b\n');
    }).toThrow(StompProtocolError);
  });

  it('rejects more than maxHeaders header lines, counting repeats', () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `h${i % 2}:${i}\n`).join('');
    expect(decode(`SEND\n${lines(4)}\n\0`, ALL_COMMANDS, small)).toEqual([{ command: 'SEND', headers: { h0: '0', h1: '1' }, body: '' }]);
    expect(() => decode(`SEND\n${lines(5)}\n\0`, ALL_COMMANDS, small)).toThrow(StompProtocolError);
  });

  it('rejects a content-length over maxBodyBytes as soon as the headers are in', () => {
    expect(decode(`SEND\ncontent-length:16\n\n${'b'.repeat(16)}\0`, ALL_COMMANDS, small)).toHaveLength(1);
    const decoder = new FrameDecoder(ALL_COMMANDS, small);
    expect(() => decoder.push('SEND\ncontent-length:17\n\n')).toThrow(StompProtocolError);
    expect(() => decode('SEND\ncontent-length:99999999999999999999999\n\n')).toThrow(StompProtocolError);
  });

  it('rejects a body without NUL once it grows beyond maxBodyBytes', () => {
    const decoder = new FrameDecoder(ALL_COMMANDS, small);
    expect(decoder.push(`SEND\n\n${'b'.repeat(16)}`)).toEqual([]);
    expect(() => decoder.push('b')).toThrow(StompProtocolError);
    expect(() => decode(`SEND\n\n${'b'.repeat(500)}`, ALL_COMMANDS, small)).toThrow(StompProtocolError);
  });

  it('rejects a NUL-terminated body over maxBodyBytes even when it arrives in one chunk', () => {
    expect(decode(`SEND\n\n${'b'.repeat(16)}\0`, ALL_COMMANDS, small)).toEqual([{ command: 'SEND', headers: {}, body: 'b'.repeat(16) }]);
    const raw = Buffer.from(`SEND\n\n${'b'.repeat(17)}\0`);
    for (const chunks of twoWaySplits(raw)) {
      expect(() => decodeChunks(chunks, ALL_COMMANDS, small), `split at ${chunks[0]!.length}`).toThrow(StompProtocolError);
    }
  });

  it.each(['abc', '-1', '+1', '1.5', '', ' 5', '5 ', '0x10', '1e3', '٣'])('rejects content-length %j', (value) => {
    expect(() => decode(`SEND\ncontent-length:${value}\n\nabc\0`)).toThrow(StompProtocolError);
  });

  it('rejects a content-length body that is not followed by NUL', () => {
    expect(() => decode('SEND\ncontent-length:3\n\nabcd\0')).toThrow(StompProtocolError);
    expect(() => decode('SEND\ncontent-length:3\n\nab\0\n')).toThrow(StompProtocolError);
    const decoder = new FrameDecoder(ALL_COMMANDS);
    expect(decoder.push('SEND\ncontent-length:3\n\nabc')).toEqual([]);
    expect(() => decoder.push('x')).toThrow(StompProtocolError);
  });

  it.each([
    ['an unknown command', 'FOO\n\n\0', ALL_COMMANDS],
    ['a lower-case command', 'send\n\n\0', ALL_COMMANDS],
    ['a command with trailing space', 'SEND \n\n\0', ALL_COMMANDS],
    ['a command followed by two CRs', 'SEND\r\r\n\n\0', ALL_COMMANDS],
    ['a server command sent to the server', 'MESSAGE\n\n\0', CLIENT_COMMANDS],
    ['a client command sent to the client', 'SEND\n\n\0', SERVER_COMMANDS],
    ['HEARTBEAT as a command', 'HEARTBEAT\n\n\0', ALL_COMMANDS],
  ])('rejects %s', (_name, raw, commands) => {
    expect(() => decode(raw, commands)).toThrow(StompProtocolError);
  });

  it.each([
    ['no colon', 'SEND\nnocolon\n\n\0'],
    ['an empty name', 'SEND\n:value\n\n\0'],
    ['an empty name in CONNECT', 'CONNECT\n:value\n\n\0'],
    ['a blank-looking line of spaces', 'SEND\n \n\n\0'],
  ])('rejects a header line with %s', (_name, raw) => {
    expect(() => decode(raw)).toThrow(StompProtocolError);
  });

  it.each([
    ['in a header value', 'SEND\na:\0b\n\n\0'],
    ['in a header name', 'SEND\na\0:b\n\n\0'],
    ['in the command', 'SE\0ND\n\n\0'],
    ['right after the command', 'SEND\0'],
    ['before the blank line', 'SEND\na:b\0\n\n'],
  ])('rejects NUL %s', (_name, raw) => {
    expect(() => decode(raw)).toThrow(StompProtocolError);
  });

  it('rejects NUL inside headers before the header block is complete', () => {
    const decoder = new FrameDecoder(ALL_COMMANDS);
    expect(() => decoder.push('SEND\nk:v\0')).toThrow(StompProtocolError);
  });

  it.each([
    ['a stray CR before a frame', '\rSEND\n\n\0'],
    ['a stray CR after a frame', 'SEND\n\n\0\r\rSEND\n\n\0'],
    ['headers over the limit', `SEND\nk:${'v'.repeat(40)}\n\n\0`],
    ['a body over the limit without content-length', `SEND\n\n${'b'.repeat(17)}\0\n`],
    ['a content-length over the limit', 'SEND\ncontent-length:17\n\n\0'],
    ['a content-length body without NUL', 'SEND\ncontent-length:2\n\nabc\0'],
    ['an unknown command after a good frame', 'SEND\n\n\0\nFOO\n\n\0'],
    ['an undefined escape', 'SEND\nk:\\t\n\n\0'],
    ['NUL in headers', 'SEND\nk:\0\n\n\0'],
  ])('rejects %s however the stream is split', (_name, raw) => {
    const bytes = Buffer.from(raw);
    for (const chunks of [...twoWaySplits(bytes), byteByByte(bytes)]) {
      expect(() => decodeChunks(chunks, ALL_COMMANDS, small), `chunks ${chunks.map((c) => c.length).join('+')}`).toThrow(StompProtocolError);
    }
  });

  it('throws errors that are Errors named StompProtocolError with a message', () => {
    const error = protocolError(() => decode('FOO\n\n\0'));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StompProtocolError');
    expect(error.message).toMatch(/unknown command/);
  });
});

describe('negotiateHeartbeat', () => {
  it.each([
    // ours, theirs, sendEvery, expectEvery
    ['0,0', '10000,10000', 0, 0],
    ['10000,10000', '0,0', 0, 0],
    ['10000,10000', undefined, 0, 0],
    ['10000,10000', '5000,20000', 20000, 10000],
    ['1000,2000', '3000,500', 1000, 3000],
    ['5000,0', '0,10000', 10000, 0],
    ['0,5000', '10000,0', 0, 10000],
    ['5000,5000', '5000,5000', 5000, 5000],
    [' 100 , 200 ', '300, 50', 100, 300],
    ['100', '300,400', 400, 0],
    ['abc,def', '300,400', 0, 0],
    ['', '300,400', 0, 0],
    ['100,200', 'garbage', 0, 0],
  ] as const)('ours %j, theirs %j → send every %i, expect every %i', (ours, theirs, sendEvery, expectEvery) => {
    expect(negotiateHeartbeat(ours, theirs)).toEqual({ sendEvery, expectEvery });
  });
});

describe('buffer ownership', () => {
  it('copies what it is given: a caller reusing its Buffer after push cannot change a pending frame', () => {
    const decoder = new FrameDecoder(SERVER_COMMANDS);
    const chunk = Buffer.from('MESSAGE\ndestination:/user/\n\nhello');
    expect(decoder.push(chunk)).toEqual([]);
    chunk.fill(0x41);
    expect(decoder.push(Buffer.from(' world\0'))).toEqual([{ command: 'MESSAGE', headers: { destination: '/user/' }, body: 'hello world' }]);
    expect(decoder.pending).toBe(0);
  });

  it('decodes a large body arriving in many small chunks, then starts afresh', () => {
    const decoder = new FrameDecoder(SERVER_COMMANDS);
    const body = 'y'.repeat(300 * 1024);
    const bytes = Buffer.from(encodeFrame({ command: 'MESSAGE', headers: { destination: '/user/' }, body }) + 'RECEIPT\nreceipt-id:1\n\n\0');
    const frames = [];
    for (let i = 0; i < bytes.length; i += 997) frames.push(...decoder.push(bytes.subarray(i, i + 997)));
    expect(frames.map((f) => f.command)).toEqual(['MESSAGE', 'RECEIPT']);
    expect((frames[0] as { body: string }).body).toBe(body);
    expect(decoder.pending).toBe(0);
  });
});
