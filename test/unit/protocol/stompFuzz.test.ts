// Seeded, deterministic fuzzing of the STOMP frame codec. A failure message names the seed and
// case number, so it can be replayed by running the same test again.
import { describe, expect, it } from 'vitest';
import {
  CLIENT_COMMANDS,
  DEFAULT_LIMITS,
  FrameDecoder,
  SERVER_COMMANDS,
  StompProtocolError,
  encodeFrame,
  type Decoded,
  type DecoderLimits,
  type StompFrame,
} from '../../../src/protocol/stompFrame.js';

const ALL_COMMANDS = new Set([...CLIENT_COMMANDS, ...SERVER_COMMANDS]);
const COMMAND_LIST = [...ALL_COMMANDS];
const HB = { command: 'HEARTBEAT' } as const;

/** Small limits, so that exceeding them (and the memory bound) is easy to reach and to check. */
const SMALL: DecoderLimits = { maxHeaderBytes: 96, maxHeaders: 6, maxBodyBytes: 128 };
/**
 * The most a decoder may hold after push() returns: a header block of up to maxHeaderBytes plus
 * its EOLs (at most 3 bytes: CR of the last line, LF, and the blank line's CR before its LF
 * arrives) and a body of up to maxBodyBytes whose NUL has not arrived. This is tighter than
 * maxHeaderBytes + maxBodyBytes + chunk size.
 */
const pendingBound = (limits: DecoderLimits) => limits.maxHeaderBytes + limits.maxBodyBytes + 3;

/** mulberry32: a tiny seeded PRNG, so every run fuzzes the same inputs. */
class Rng {
  constructor(private state: number) {}

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

const SPECIAL_BYTES = [0x00, 0x0a, 0x0d, 0x3a /* : */, 0x5c /* \ */];

function randomBytes(rng: Rng, length: number): Buffer {
  const out = Buffer.alloc(length);
  const letters = Buffer.from('SENDMCOTRACKBGIUPHLNX\\cnrt:-_0123456789 ');
  for (let i = 0; i < length; i++) {
    const roll = rng.next();
    out[i] = roll < 0.3 ? rng.pick(SPECIAL_BYTES) : roll < 0.7 ? letters[rng.int(letters.length)]! : rng.int(256);
  }
  return out;
}

/** Cuts bytes into chunks in one of several styles (including empty chunks). */
function randomChunks(rng: Rng, bytes: Buffer): Buffer[] {
  const style = rng.int(5);
  if (style === 0) return [bytes];
  if (style === 1) return [...bytes].map((b) => Buffer.from([b]));
  const maxSize = style === 2 ? 4 : style === 3 ? 24 : 200;
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = rng.chance(0.05) ? 0 : rng.range(1, maxSize);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

interface Outcome {
  decoded: Decoded[];
  /** The StompProtocolError that stopped decoding, if any. */
  error?: StompProtocolError;
  pending: number;
}

/**
 * Feeds the chunks to one decoder. Fails the test if push() throws anything but a
 * StompProtocolError or the decoder holds more than the bound; stops at the first error.
 */
function run(chunks: readonly Buffer[], limits: DecoderLimits, label: string): Outcome {
  const decoder = new FrameDecoder(ALL_COMMANDS, limits);
  const decoded: Decoded[] = [];
  for (const chunk of chunks) {
    let result: Decoded[];
    try {
      result = decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof StompProtocolError)) {
        expect.fail(`${label}: push threw ${String(error)} (${(error as Error)?.constructor?.name}), not a StompProtocolError`);
      }
      return { decoded, error, pending: decoder.pending };
    }
    if (!Array.isArray(result)) expect.fail(`${label}: push returned ${String(result)}`);
    decoded.push(...result);
    if (decoder.pending > pendingBound(limits)) expect.fail(`${label}: pending ${decoder.pending} exceeds ${pendingBound(limits)}`);
  }
  return { decoded, pending: decoder.pending };
}

/**
 * The robustness properties for one input: any chunking only throws StompProtocolErrors and stays
 * within the memory bound (checked by run), and the outcome does not depend on the chunking:
 * fed byte by byte (which never loses a frame to a later error in the same push), the decoder
 * fails iff it fails under the random chunking, whose frames are a prefix of the byte-by-byte
 * ones, and equal to them when there is no error.
 */
function checkInput(rng: Rng, input: Buffer, label: string, stats: { errors: number; frames: number }): void {
  const canonical = run([...input].map((b) => Buffer.from([b])), SMALL, `${label} byte by byte`);
  const chunked = run(randomChunks(rng, input), SMALL, `${label} chunked`);
  expect(chunked.error !== undefined, `${label}: error under one chunking only (${String(canonical.error ?? chunked.error)})`).toBe(canonical.error !== undefined);
  if (canonical.error) {
    expect(canonical.decoded.slice(0, chunked.decoded.length), label).toEqual(chunked.decoded);
    stats.errors++;
  } else {
    expect(chunked.decoded, label).toEqual(canonical.decoded);
    expect(chunked.pending, label).toBe(canonical.pending);
  }
  stats.frames += canonical.decoded.filter((d) => d.command !== 'HEARTBEAT').length;
}

// Pieces for random header names, values and bodies: characters that need escaping, multi-byte
// UTF-8 (including a surrogate pair, kept whole), look-alikes of escapes and frame syntax, and
// names of Object.prototype members.
const TEXT_PIECES = ['a', 'b', 'Z', '0', '9', '-', '_', '/', '.', ' ', '\t', '=', ',', '\\', ':', '\n', '\r', '\\n', '\\c', 'é', 'ß', '日', '€', '😀', 'SEND', '{"k":1}', 'constructor', '__proto__', 'toString'];
const LITERAL_PIECES = TEXT_PIECES.filter((p) => !/[\n\r]/.test(p));
const LITERAL_NAME_PIECES = LITERAL_PIECES.filter((p) => !p.includes(':'));
const BODY_PIECES = [...TEXT_PIECES, '\0', '\0\0', '\r\n', 'hello world', '{"clusterName":"c1","hosts":[]}'];

function randomText(rng: Rng, pieces: readonly string[], min: number, max: number): string {
  let s = '';
  for (let n = rng.range(min, max); n > 0; n--) s += rng.pick(pieces);
  return s;
}

/**
 * A random frame that encodeFrame can represent: header names are not empty, and in
 * CONNECT/CONNECTED (whose headers are not escaped) names hold no colon and nothing holds CR or LF.
 */
function randomFrame(rng: Rng): StompFrame {
  const command = rng.pick(COMMAND_LIST);
  const literal = command === 'CONNECT' || command === 'CONNECTED';
  const headers: Record<string, string> = {};
  for (let n = rng.range(0, 6); n > 0; n--) {
    const name = randomText(rng, literal ? LITERAL_NAME_PIECES : TEXT_PIECES, 1, 6);
    const value = randomText(rng, literal ? LITERAL_PIECES : TEXT_PIECES, 0, 8);
    // Defined, not assigned, so that a header named __proto__ is an own property like any other.
    Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  }
  const body = rng.chance(0.3) ? '' : randomText(rng, BODY_PIECES, 0, 20);
  return { command, headers, body };
}

const asDecoded = (frame: StompFrame): StompFrame =>
  frame.body === '' ? frame : { ...frame, headers: { ...frame.headers, 'content-length': String(Buffer.byteLength(frame.body)) } };

/** Some valid frames with heart-beat EOLs around them, as bytes and as the decoder should return them. */
function randomStream(rng: Rng, maxFrames: number): { bytes: Buffer; expected: Decoded[] } {
  let text = '';
  const expected: Decoded[] = [];
  const eols = () => {
    for (let n = rng.chance(0.5) ? 0 : rng.range(1, 3); n > 0; n--) {
      text += rng.chance(0.5) ? '\n' : '\r\n';
      expected.push(HB);
    }
  };
  eols();
  for (let n = rng.range(1, maxFrames); n > 0; n--) {
    const frame = randomFrame(rng);
    text += encodeFrame(frame);
    expected.push(asDecoded(frame));
    eols();
  }
  return { bytes: Buffer.from(text, 'utf8'), expected };
}

/** Applies 1–4 random mutations to a valid frame stream. */
function mutate(rng: Rng, input: Buffer): Buffer {
  let bytes = Buffer.from(input);
  for (let n = rng.range(1, 4); n > 0; n--) {
    const at = rng.int(bytes.length + 1);
    switch (rng.int(11)) {
      case 0: // flip a bit
        if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)]! ^= 1 << rng.int(8);
        break;
      case 1: // replace a byte with anything
        if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = rng.int(256);
        break;
      case 2: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 3: {
        // duplicate a range
        const end = rng.range(at, Math.min(bytes.length, at + 40));
        bytes = Buffer.concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
        break;
      }
      case 4: // insert NUL, CR, LF, colon or backslash
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([rng.pick(SPECIAL_BYTES)]), bytes.subarray(at)]);
        break;
      case 5: {
        // a huge header value (or line) where a line starts
        const lf = bytes.indexOf(0x0a, at);
        const line = rng.chance(0.5) ? `k:${'x'.repeat(rng.range(50, 400))}\n` : 'x'.repeat(rng.range(50, 400));
        const where = lf < 0 ? at : lf + 1;
        bytes = Buffer.concat([bytes.subarray(0, where), Buffer.from(line), bytes.subarray(where)]);
        break;
      }
      case 6: {
        // many header lines
        const lf = bytes.indexOf(0x0a);
        const lines = Array.from({ length: rng.range(3, 12) }, (_, i) => `h${i}:v\n`).join('');
        const where = lf < 0 ? 0 : lf + 1;
        bytes = Buffer.concat([bytes.subarray(0, where), Buffer.from(lines), bytes.subarray(where)]);
        break;
      }
      case 7: {
        // a wrong, huge or malformed content-length
        const value = rng.pick(['0', '1', '5', '127', '128', '129', '99999999999999999999', '-1', 'x', '', '1 ', String(rng.int(300))]);
        const lf = bytes.indexOf(0x0a);
        const where = lf < 0 ? 0 : lf + 1;
        bytes = Buffer.concat([bytes.subarray(0, where), Buffer.from(`content-length:${value}\n`), bytes.subarray(where)]);
        break;
      }
      case 8: {
        // a long body: bytes without NUL just before a NUL (a frame terminator, most likely)
        const nul = bytes.indexOf(0, at);
        const where = nul < 0 ? at : nul;
        bytes = Buffer.concat([bytes.subarray(0, where), Buffer.from('y'.repeat(rng.range(100, 200))), bytes.subarray(where)]);
        break;
      }
      case 9: {
        // drop a content-length header, so the body runs to the first NUL
        const cl = bytes.indexOf('content-length:', at);
        if (cl >= 0) bytes = Buffer.concat([bytes.subarray(0, cl), Buffer.from('content-lengtX:'), bytes.subarray(cl + 15)]);
        break;
      }
      default: {
        // delete a range
        const end = rng.range(at, Math.min(bytes.length, at + 20));
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(end)]);
      }
    }
  }
  return bytes;
}

describe('STOMP codec fuzzing', () => {
  it('survives random bytes: StompProtocolError or frames, bounded memory, chunking-independent', () => {
    const rng = new Rng(0x5eed0001);
    const stats = { errors: 0, frames: 0 };
    for (let i = 0; i < 1500; i++) {
      const prefix = rng.chance(0.5) ? Buffer.from(`${rng.pick(COMMAND_LIST)}${rng.chance(0.5) ? '\n' : '\r\n'}`) : Buffer.alloc(0);
      const input = Buffer.concat([prefix, randomBytes(rng, rng.range(0, 300))]);
      checkInput(rng, input, `random case ${i}`, stats);
    }
    // The generator must reach both outcomes, or the property proves little.
    expect(stats.errors).toBeGreaterThan(500);
    expect(stats.frames).toBeGreaterThan(20);
  });

  it('survives mutated valid frames: StompProtocolError or frames, bounded memory, chunking-independent', () => {
    const rng = new Rng(0x5eed0002);
    const stats = { errors: 0, frames: 0 };
    for (let i = 0; i < 2500; i++) {
      const { bytes } = randomStream(rng, 3);
      checkInput(rng, mutate(rng, bytes), `mutation case ${i}`, stats);
    }
    expect(stats.errors).toBeGreaterThan(500);
    expect(stats.frames).toBeGreaterThan(500);
  });

  it('never holds more than the bound while fed an endless frame that never completes', () => {
    const rng = new Rng(0x5eed0003);
    for (const start of ['SEND\n', 'SEND\nk:', 'SEND\n\n', 'SEND\ncontent-length:128\n\n', 'SEND\r\n\r\n', 'a:b\n']) {
      const decoder = new FrameDecoder(ALL_COMMANDS, SMALL);
      let error: unknown;
      try {
        decoder.push(start);
        for (let i = 0; i < 10_000; i++) {
          const chunk = randomBytes(rng, rng.range(1, 50));
          for (let j = 0; j < chunk.length; j++) if (chunk[j] === 0) chunk[j] = 0x41; // no frame may complete
          decoder.push(chunk);
          expect(decoder.pending).toBeLessThanOrEqual(pendingBound(SMALL));
        }
      } catch (e) {
        error = e;
      }
      expect(error, start).toBeInstanceOf(StompProtocolError);
    }
  });

  it('decodes encoded random frames back to themselves under random chunking', () => {
    const rng = new Rng(0x5eed0004);
    let frames = 0;
    for (let i = 0; i < 2500; i++) {
      const { bytes, expected } = randomStream(rng, 4);
      const { decoded, error, pending } = run(randomChunks(rng, bytes), DEFAULT_LIMITS, `round trip case ${i}`);
      expect(error, `round trip case ${i}`).toBeUndefined();
      expect(decoded, `round trip case ${i}: ${JSON.stringify(bytes.toString())}`).toEqual(expected);
      expect(pending, `round trip case ${i}`).toBe(0);
      frames += expected.length;
    }
    expect(frames).toBeGreaterThan(5000);
  });

  it('decodes a long stream of random frames with one decoder, holding nothing at the end', () => {
    const rng = new Rng(0x5eed0005);
    const decoder = new FrameDecoder(ALL_COMMANDS);
    const decoded: Decoded[] = [];
    const expected: Decoded[] = [];
    for (let i = 0; i < 300; i++) {
      const stream = randomStream(rng, 4);
      expected.push(...stream.expected);
      for (const chunk of randomChunks(rng, stream.bytes)) decoded.push(...decoder.push(chunk));
    }
    expect(decoded).toEqual(expected);
    expect(decoder.pending).toBe(0);
  });
});
