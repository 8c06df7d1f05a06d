// STOMP 1.2 frames: encoding, and a streaming decoder that takes WebSocket messages holding
// part of a frame, one frame, or several, with heart-beat EOLs between them. Shared by the
// agent (client) and the dev server, so one codec is tested and fuzzed for both halves.
//
//   COMMAND EOL *(header EOL) EOL body NUL *(EOL)      EOL = LF or CR LF
//
// Header values are escaped (\\ \n \r \c) except in CONNECT/CONNECTED frames. A body is read
// up to `content-length` bytes when the header is there, else up to the first NUL.

export interface StompFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

export const CLIENT_COMMANDS = new Set(['CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT']);
export const SERVER_COMMANDS = new Set(['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR']);

export interface DecoderLimits {
  /** Bytes of command line plus headers. */
  maxHeaderBytes: number;
  maxHeaders: number;
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: DecoderLimits = { maxHeaderBytes: 64 * 1024, maxHeaders: 100, maxBodyBytes: 64 * 1024 * 1024 };

/** A peer broke the protocol: the connection should get an ERROR frame and be closed. */
export class StompProtocolError extends Error {
  override name = 'StompProtocolError';
}

const NUL = 0;
/**
 * Buffer capacity a decoder keeps once it is empty; larger ones are released. Heartbeat
 * answers and reports' receipts fit; a sync answer's buffer is not kept for the connection's
 * life (it would be tens of KB per connection, times thousands in `simulate`).
 */
const RETAINED_BUFFER_BYTES = 8 * 1024;
const LF = 10;
const CR = 13;

function escapeHeader(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/:/g, '\\c');
}

function unescapeHeader(value: string): string {
  return value.replace(/\\(.)?/gs, (_, char: string | undefined) => {
    switch (char) {
      case '\\':
        return '\\';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 'c':
        return ':';
      default:
        throw new StompProtocolError(`undefined escape sequence \\${char ?? ''} in header`);
    }
  });
}

const literalHeaders = (command: string) => command === 'CONNECT' || command === 'CONNECTED';

/** One frame as text. A body gets a content-length header, so it may contain NUL. */
export function encodeFrame(frame: StompFrame): string {
  return `${encodeFrameHead(frame.command, frame.headers, frame.body === '' ? 0 : Buffer.byteLength(frame.body))}${frame.body}\0`;
}

/**
 * A frame up to its body: command, headers (content-length added for a body of `bodyBytes` > 0)
 * and the blank line. The body and the NUL follow; for a large body already encoded, they can
 * be written after it without copying it into a new frame.
 */
export function encodeFrameHead(command: string, frameHeaders: Record<string, string>, bodyBytes: number): string {
  const escape = literalHeaders(command) ? (v: string) => v : escapeHeader;
  const headers = { ...frameHeaders };
  if (bodyBytes > 0 && headers['content-length'] === undefined) headers['content-length'] = String(bodyBytes);
  const lines = Object.entries(headers).map(([name, value]) => `${escape(name)}:${escape(value)}`);
  return `${command}\n${lines.map((l) => `${l}\n`).join('')}\n`;
}

export type Decoded = StompFrame | { command: 'HEARTBEAT' };

export class FrameDecoder {
  // Received bytes live in store[start, end): appending copies into spare capacity (doubling
  // when full), so a large frame arriving in many chunks costs linear time, not quadratic,
  // and the caller's Buffers are never retained.
  private store: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Where the NUL search of an incomplete length-less body resumes (relative to start). */
  private nulFrom = 0;

  constructor(
    private readonly commands: Set<string>,
    private readonly limits: DecoderLimits = DEFAULT_LIMITS,
  ) {}

  /** Feeds received data; returns the complete frames (and heart-beats) it finished. */
  push(data: Buffer | string): Decoded[] {
    this.append(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    const out: Decoded[] = [];
    for (;;) {
      // Heart-beats: EOLs between frames.
      let start = 0;
      while (start < this.buffer.length && (this.buffer[start] === LF || this.buffer[start] === CR)) {
        if (this.buffer[start] === CR) {
          // A CR ending the chunk stays buffered until the next byte shows whether an LF follows.
          if (start + 1 >= this.buffer.length) break;
          if (this.buffer[start + 1] !== LF) throw new StompProtocolError('stray CR between frames');
        }
        if (this.buffer[start] === LF) out.push({ command: 'HEARTBEAT' });
        start++;
      }
      if (start > 0) this.consume(start);
      if (this.buffer.length === 0 || (this.buffer.length === 1 && this.buffer[0] === CR)) return out;
      const frame = this.tryFrame();
      if (!frame) return out;
      out.push(frame);
    }
  }

  /** Bytes held for a frame not yet complete. */
  get pending(): number {
    return this.end - this.start;
  }

  /** The bytes not yet decoded (a view, valid until the next append). */
  private get buffer(): Buffer {
    return this.store.subarray(this.start, this.end);
  }

  private append(chunk: Buffer): void {
    const live = this.end - this.start;
    if (this.end + chunk.length > this.store.length) {
      if (live + chunk.length <= this.store.length) {
        this.store.copyWithin(0, this.start, this.end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(live + chunk.length, this.store.length * 2, 4096));
        this.store.copy(grown, 0, this.start, this.end);
        this.store = grown;
      }
      this.start = 0;
      this.end = live;
    }
    chunk.copy(this.store, this.end);
    this.end += chunk.length;
  }

  private consume(bytes: number): void {
    this.start += bytes;
    this.nulFrom = 0;
    if (this.start === this.end) {
      this.start = this.end = 0;
      // One large message must not pin its buffer for the connection's lifetime.
      if (this.store.length > RETAINED_BUFFER_BYTES) this.store = Buffer.alloc(0);
    }
  }

  private tryFrame(): StompFrame | undefined {
    const headerEnd = findHeaderEnd(this.buffer);
    if (headerEnd === undefined) {
      // The header block can still end at a trailing LF (or LF CR) of the buffer; reject only
      // once it certainly exceeds the limit, so the outcome doesn't depend on how data is split.
      const length = this.buffer.length;
      const earliestEnd =
        this.buffer[length - 1] === LF ? length - 1 : this.buffer[length - 1] === CR && this.buffer[length - 2] === LF ? length - 2 : length;
      if (earliestEnd > this.limits.maxHeaderBytes) throw new StompProtocolError(`frame headers exceed ${this.limits.maxHeaderBytes} bytes`);
      return undefined;
    }
    if (headerEnd.end > this.limits.maxHeaderBytes) throw new StompProtocolError(`frame headers exceed ${this.limits.maxHeaderBytes} bytes`);
    const lines = this.buffer.subarray(0, headerEnd.end).toString('utf8').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    const command = lines[0]!;
    if (!this.commands.has(command)) throw new StompProtocolError(`unknown command ${JSON.stringify(command.slice(0, 40))}`);
    const headerLines = lines.slice(1);
    if (headerLines.length > this.limits.maxHeaders) throw new StompProtocolError(`more than ${this.limits.maxHeaders} headers`);
    const headers: Record<string, string> = {};
    const unescape = literalHeaders(command) ? (v: string) => v : unescapeHeader;
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new StompProtocolError(`malformed header line ${JSON.stringify(line.slice(0, 80))}`);
      const name = unescape(line.slice(0, colon));
      const value = unescape(line.slice(colon + 1)); // also checks the escapes of a repeated header
      // The first occurrence of a repeated header wins (STOMP 1.2). Own properties only, and
      // defined rather than assigned, so names like `constructor` or `__proto__` are kept too.
      if (!Object.hasOwn(headers, name)) Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
    }

    const bodyStart = headerEnd.bodyStart;
    let bodyEnd: number;
    const lengthHeader = headers['content-length'];
    if (lengthHeader !== undefined) {
      if (!/^\d+$/.test(lengthHeader)) throw new StompProtocolError(`invalid content-length ${JSON.stringify(lengthHeader)}`);
      const length = Number(lengthHeader);
      if (length > this.limits.maxBodyBytes) throw new StompProtocolError(`body of ${length} bytes exceeds ${this.limits.maxBodyBytes}`);
      if (this.buffer.length < bodyStart + length + 1) return undefined;
      bodyEnd = bodyStart + length;
      if (this.buffer[bodyEnd] !== NUL) throw new StompProtocolError('frame body is not followed by NUL');
    } else {
      const buffer = this.buffer;
      const nul = buffer.indexOf(NUL, Math.max(bodyStart, this.nulFrom));
      if (nul < 0) {
        if (buffer.length - bodyStart > this.limits.maxBodyBytes) throw new StompProtocolError(`body exceeds ${this.limits.maxBodyBytes} bytes`);
        this.nulFrom = buffer.length;
        return undefined;
      }
      if (nul - bodyStart > this.limits.maxBodyBytes) throw new StompProtocolError(`body exceeds ${this.limits.maxBodyBytes} bytes`);
      bodyEnd = nul;
    }
    const body = this.buffer.subarray(bodyStart, bodyEnd).toString('utf8');
    this.consume(bodyEnd + 1);
    return { command, headers, body };
  }
}

/** Where the header block ends (the empty line), accepting LF or CR LF line ends. */
function findHeaderEnd(buffer: Buffer): { end: number; bodyStart: number } | undefined {
  for (let i = 0; i < buffer.length; i++) {
    if (buffer[i] === NUL) throw new StompProtocolError('NUL inside frame headers');
    if (buffer[i] !== LF) continue;
    if (buffer[i + 1] === LF) return { end: i, bodyStart: i + 2 };
    if (buffer[i + 1] === CR && buffer[i + 2] === LF) return { end: i, bodyStart: i + 3 };
    if (i + 1 >= buffer.length || (buffer[i + 1] === CR && i + 2 >= buffer.length)) return undefined;
  }
  return undefined;
}

/** Negotiated heart-beat periods in ms (0 = none), from our `cx,cy` and the peer's `sx,sy`. */
export function negotiateHeartbeat(ours: string, theirs: string | undefined): { sendEvery: number; expectEvery: number } {
  const [cx, cy] = parsePair(ours);
  const [sx, sy] = parsePair(theirs ?? '0,0');
  return { sendEvery: cx === 0 || sy === 0 ? 0 : Math.max(cx, sy), expectEvery: cy === 0 || sx === 0 ? 0 : Math.max(cy, sx) };
}

function parsePair(value: string): [number, number] {
  const [a, b] = value.split(',').map((v) => Number.parseInt(v.trim(), 10));
  const clamp = (n: number | undefined) => (Number.isFinite(n) ? Math.max(0, n!) : 0);
  return [clamp(a), clamp(b)];
}
