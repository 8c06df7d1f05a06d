// A raw STOMP-over-WebSocket client for tests of the dev server's agent endpoint: it speaks
// frames with the project's own codec (encodeFrame / FrameDecoder) but can also send anything
// at all (garbage, oversized headers, frames out of order), and it records everything it gets.
// Every client opened is tracked, so a test can close the ones it opened.
import { DEFAULT_AMBARI_VERSION } from '../../src/version.js';
import WebSocket from 'ws';
import { encodeFrame, FrameDecoder, SERVER_COMMANDS, type StompFrame } from '../../src/protocol/stompFrame.js';

export const STOMP_PATH = '/agent/stomp/v1';
const DEFAULT_TIMEOUT_MS = 5_000;

export interface CloseInfo {
  code: number;
  reason: string;
}

interface Waiter {
  predicate: (frame: StompFrame) => boolean;
  resolve: (frame: StompFrame) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
}

const open = new Set<TestStompClient>();

export class TestStompClient {
  /** Every frame received, in order. */
  readonly frames: StompFrame[] = [];
  private readonly frameListeners: Array<(frame: StompFrame) => void> = [];
  /** Every WebSocket message received, as text, exactly as it came. */
  readonly raw: string[] = [];
  /** EOL heart-beats received. */
  heartbeats = 0;
  /** Set when what the server sent could not be decoded. */
  decodeError: Error | undefined;
  /** Set once the WebSocket is closed (by either side). */
  closeInfo: CloseInfo | undefined;
  readonly closed: Promise<CloseInfo>;

  private readonly decoder = new FrameDecoder(SERVER_COMMANDS);
  private readonly taken = new Set<StompFrame>();
  private waiters: Waiter[] = [];
  private nextCorrelationId = 0;

  private constructor(readonly ws: WebSocket) {
    open.add(this);
    ws.on('error', () => {}); // resets and the like show up as 'close'
    ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        open.delete(this);
        for (const waiter of this.waiters.splice(0)) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error(`connection closed (${code} ${this.closeInfo.reason}) while waiting for ${waiter.what}; got ${this.describeFrames()}`));
        }
        resolve(this.closeInfo);
      });
    });
  }

  /** Opens a WebSocket to the STOMP endpoint (no STOMP frame sent yet). */
  static async open(port: number, options: { ca?: Buffer; rejectUnauthorized?: boolean; timeoutMs?: number } = {}): Promise<TestStompClient> {
    const ws = new WebSocket(`wss://127.0.0.1:${port}${STOMP_PATH}`, {
      rejectUnauthorized: options.rejectUnauthorized ?? false,
      ca: options.ca,
      handshakeTimeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    const client = new TestStompClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (err) => reject(err));
      ws.once('close', (code) => reject(new Error(`WebSocket closed (${code}) before it opened`)));
    });
    return client;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: StompFrame): void {
    this.ws.send(encodeFrame(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** CONNECT and wait for CONNECTED (or fail on ERROR). */
  async connect(headers: Record<string, string> = { 'accept-version': '1.2', host: '127.0.0.1', 'heart-beat': '10000,10000' }): Promise<StompFrame> {
    this.send({ command: 'CONNECT', headers, body: '' });
    const frame = await this.waitFor((f) => f.command === 'CONNECTED' || f.command === 'ERROR', 'CONNECTED');
    if (frame.command !== 'CONNECTED') throw new Error(`CONNECT refused: ${frame.headers.message ?? frame.body}`);
    return frame;
  }

  subscribe(destination: string, id: string): void {
    this.send({ command: 'SUBSCRIBE', headers: { destination, id, ack: 'auto' }, body: '' });
  }

  /** SEND with a correlationId; resolves to the MESSAGE on /user/ that answers it. */
  async request(destination: string, body: unknown, correlationId = String(this.nextCorrelationId++)): Promise<{ frame: StompFrame; body: Record<string, unknown> }> {
    this.send({ command: 'SEND', headers: { destination, correlationId, 'content-type': 'application/json;charset=UTF-8' }, body: JSON.stringify(body) });
    const frame = await this.waitFor(
      (f) => f.command === 'ERROR' || (f.command === 'MESSAGE' && f.headers.correlationId === correlationId),
      `the answer to ${destination} (correlationId ${correlationId})`,
    );
    if (frame.command === 'ERROR') throw new Error(`ERROR instead of an answer to ${destination}: ${frame.headers.message ?? frame.body}`);
    return { frame, body: JSON.parse(frame.body) as Record<string, unknown> };
  }

  /** CONNECT, SUBSCRIBE /user/ (sub-0) and /register as hostName; resolves to the answer body. */
  async register(hostName: string, registration: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    await this.connect();
    this.subscribe('/user/', 'sub-0');
    return (await this.request('/register', { hostname: hostName, agentVersion: DEFAULT_AMBARI_VERSION, ...registration })).body;
  }

  /** The first frame (received or to come) matching predicate that no earlier wait took. */
  waitFor(predicate: (frame: StompFrame) => boolean, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<StompFrame> {
    const found = this.frames.find((f) => !this.taken.has(f) && predicate(f));
    if (found) {
      this.taken.add(found);
      return Promise.resolve(found);
    }
    if (this.closeInfo) return Promise.reject(new Error(`connection already closed (${this.closeInfo.code}) while waiting for ${what}; got ${this.describeFrames()}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        what,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.describeFrames()}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves when the server closed the connection, failing after timeoutMs. */
  /** Calls `listener` with every frame received from now on (e.g. to acknowledge commands as an agent does). */
  onFrame(listener: (frame: StompFrame) => void): void {
    this.frameListeners.push(listener);
  }

  async waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CloseInfo> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.closed,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the socket (abruptly) and waits for it to be closed. */
  async close(): Promise<void> {
    if (this.closeInfo) return;
    this.ws.terminate();
    await this.closed;
  }

  private receive(data: Buffer, isBinary: boolean): void {
    this.raw.push(isBinary ? data.toString('latin1') : data.toString('utf8'));
    if (this.decodeError) return;
    let decoded;
    try {
      decoded = this.decoder.push(data);
    } catch (err) {
      this.decodeError = err as Error;
      return;
    }
    for (const item of decoded) {
      if (item.command === 'HEARTBEAT') {
        this.heartbeats++;
        continue;
      }
      const frame = item as StompFrame;
      this.frames.push(frame);
      for (const listener of this.frameListeners) listener(frame);
      const waiter = this.waiters.find((w) => w.predicate(frame));
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        clearTimeout(waiter.timer);
        this.taken.add(frame);
        waiter.resolve(frame);
      }
    }
  }

  private describeFrames(): string {
    if (this.frames.length === 0) return 'no frames';
    return this.frames.map((f) => `${f.command}${f.headers.message ? ` (${f.headers.message})` : ''}${f.headers.correlationId !== undefined ? ` [correlationId ${f.headers.correlationId}]` : ''}`).join(', ');
  }
}

/** Closes every client still open (for afterAll / onTestFinished). */
export async function closeAllClients(): Promise<void> {
  await Promise.all([...open].map((client) => client.close()));
}

export function openClientCount(): number {
  return open.size;
}
