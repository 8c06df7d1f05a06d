// The agent's STOMP 1.2 client over a WebSocket (`ws`): CONNECT with negotiated heart-beats,
// subscriptions, SEND, and request/response matched by `correlationId` on `/user/`. A server
// that stops sending anything (not even heart-beats) is detected and the connection closed.
import type { SecureContext } from 'node:tls';
import WebSocket from 'ws';
import { encodeFrame, FrameDecoder, negotiateHeartbeat, SERVER_COMMANDS, StompProtocolError, type StompFrame } from './stompFrame.js';

export const USER_DESTINATION = '/user/';
/** The original's REQUEST_RESPONSE_TIMEOUT. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** How many unanswered send()s are remembered, so that their late answers are not taken for events. */
const MAX_UNAWAITED = 1000;

export interface StompClientOptions {
  url: string;
  /**
   * TLS: verify the server against `ca` only when rejectUnauthorized; key/cert for two-way TLS.
   * A `secureContext` made from the same ca/key/cert is used instead of a new one per
   * connection (each holds its own copy of the trust store: hundreds of KB).
   */
  tls: { rejectUnauthorized: boolean; ca?: Buffer; key?: Buffer; cert?: Buffer; secureContext?: SecureContext };
  /** The heart-beat header we offer: [we can send every, we want to receive every] in ms. */
  heartbeat?: [number, number];
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface InboundMessage {
  destination: string;
  headers: Record<string, string>;
  body: string;
}

interface PendingRequest {
  destination: string;
  resolve: (body: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class StompClient {
  private readonly decoder = new FrameDecoder(SERVER_COMMANDS);
  private readonly pending = new Map<string, PendingRequest>();
  private readonly messageHandlers: Array<(message: InboundMessage) => void> = [];
  private readonly closeHandlers: Array<(reason: string) => void> = [];
  private nextCorrelationId = 0;
  /** correlationIds of send()s whose answers nobody waits for. */
  private readonly unawaited = new Set<string>();
  private nextSubscriptionId = 0;
  private lastReceived = Date.now();
  private timers: NodeJS.Timeout[] = [];
  /** The dead-peer check (see attach). */
  private silenceTimer: NodeJS.Timeout | undefined;
  private closedReason: string | undefined;
  /** Subscriptions by destination (id), so the server's MESSAGE can be told apart. */
  readonly subscriptions = new Map<string, string>();

  private constructor(
    private readonly ws: WebSocket,
    private readonly requestTimeoutMs: number,
  ) {}

  static connect(options: StompClientOptions): Promise<StompClient> {
    const url = new URL(options.url);
    const ws = new WebSocket(options.url, {
      rejectUnauthorized: options.tls.rejectUnauthorized,
      ca: options.tls.ca,
      key: options.tls.key,
      cert: options.tls.cert,
      ...(options.tls.secureContext ? { secureContext: options.tls.secureContext } : {}),
      // The Python agent's websocket client offers no compression either; a deflate context
      // per connection costs far more memory than the small JSON frames would save.
      perMessageDeflate: false,
      handshakeTimeout: options.connectTimeoutMs ?? 10_000,
      maxPayload: 64 * 1024 * 1024,
    });
    const client = new StompClient(ws, options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
    const offered = options.heartbeat ?? [10_000, 10_000];
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(error);
      };
      const onAbort = () => fail(new Error('connection attempt stopped'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => fail(new Error(`no STOMP CONNECTED from ${url.host} within ${(options.connectTimeoutMs ?? 10_000) / 1000} s`)), options.connectTimeoutMs ?? 10_000);
      ws.on('open', () => {
        ws.send(encodeFrame({ command: 'CONNECT', headers: { 'accept-version': '1.2', host: url.hostname, 'heart-beat': offered.join(',') }, body: '' }));
      });
      ws.on('error', (err) => fail(new Error(`cannot connect to ${options.url}: ${err.message}`)));
      ws.on('close', (code, reason) => fail(new Error(`connection to ${options.url} closed before CONNECTED (${code} ${reason.toString()})`)));
      ws.on('message', (data: WebSocket.RawData) => {
        let frames;
        try {
          frames = client.decoder.push(toBuffer(data));
        } catch (err) {
          clearTimeout(timer);
          return fail(new Error(`bad frame from ${url.host}: ${(err as Error).message}`));
        }
        for (const frame of frames) {
          if (frame.command === 'HEARTBEAT') continue;
          const full = frame as StompFrame;
          if (full.command === 'CONNECTED') {
            clearTimeout(timer);
            settled = true;
            options.signal?.removeEventListener('abort', onAbort);
            ws.removeAllListeners();
            client.attach(negotiateHeartbeat(offered.join(','), full.headers['heart-beat']));
            resolve(client);
            return;
          }
          if (full.command === 'ERROR') {
            clearTimeout(timer);
            return fail(new Error(`server refused the connection: ${full.headers.message ?? full.body}`));
          }
        }
      });
    });
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  onMessage(handler: (message: InboundMessage) => void): void {
    this.messageHandlers.push(handler);
  }

  onClose(handler: (reason: string) => void): void {
    if (this.closedReason !== undefined) handler(this.closedReason);
    else this.closeHandlers.push(handler);
  }

  subscribe(destination: string): string {
    const id = `sub-${this.nextSubscriptionId++}`;
    this.subscriptions.set(destination, id);
    this.write({ command: 'SUBSCRIBE', headers: { destination, id, ack: 'client-individual' }, body: '' });
    return id;
  }

  /**
   * SEND without waiting for an answer (the confirmations on /reports/responses). It still
   * carries a correlationId, as every SEND of the original does (AmbariStompConnection.send):
   * the server answers it on /user/ like any request, and that answer is dropped here.
   */
  send(destination: string, body: unknown, headers: Record<string, string> = {}): void {
    if (headers.correlationId === undefined) {
      const correlationId = String(this.nextCorrelationId++);
      this.write(sendFrame(destination, body, { ...headers, correlationId }));
      this.rememberUnawaited(correlationId);
      return;
    }
    this.write(sendFrame(destination, body, headers));
  }

  /** SEND with a new correlationId; resolves with the parsed body of the server's answer. */
  request(destination: string, body: unknown): Promise<unknown> {
    const correlationId = String(this.nextCorrelationId++);
    return new Promise((resolve, reject) => {
      if (this.closedReason !== undefined) return reject(new Error(`connection closed: ${this.closedReason}`));
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        // A late answer is dropped, not taken for an event.
        this.rememberUnawaited(correlationId);
        reject(new Error(`${this.requestTimeoutMs / 1000} seconds timeout expired waiting for response from server at ${USER_DESTINATION} to message from ${destination}`));
      }, this.requestTimeoutMs);
      this.pending.set(correlationId, { destination, resolve, reject, timer });
      this.send(destination, body, { correlationId });
    });
  }

  /** Bounded: a server that never answers cannot grow the set. */
  private rememberUnawaited(correlationId: string): void {
    this.unawaited.add(correlationId);
    if (this.unawaited.size > MAX_UNAWAITED) this.unawaited.delete(this.unawaited.values().next().value!);
  }

  close(reason = 'closed by agent'): void {
    if (this.closedReason !== undefined) return;
    try {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeFrame({ command: 'DISCONNECT', headers: {}, body: '' }));
    } catch {
      // closing anyway
    }
    this.shutDown(reason);
    this.ws.close(1000);
    // A peer that never answers the close handshake must not keep the socket.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  private attach(heartbeat: { sendEvery: number; expectEvery: number }): void {
    this.lastReceived = Date.now();
    this.ws.on('message', (data: WebSocket.RawData) => this.receive(toBuffer(data)));
    this.ws.on('close', (code, reason) => this.shutDown(`connection closed by server (${code}${reason.length ? ` ${reason.toString()}` : ''})`));
    this.ws.on('error', (err) => this.shutDown(`connection error: ${err.message}`));
    if (heartbeat.sendEvery > 0) {
      this.timers.push(setInterval(() => this.ws.readyState === WebSocket.OPEN && this.ws.send('\n'), heartbeat.sendEvery));
    }
    if (heartbeat.expectEvery > 0) {
      // STOMP leaves the tolerance to the implementation: two periods of silence is a dead peer.
      // One timer aimed at the moment the silence would reach the limit, re-aimed from the last
      // receipt when it fires: the idle agent wakes once per server heart-beat, not every second.
      const limit = heartbeat.expectEvery * 2;
      const check = () => {
        const silent = Date.now() - this.lastReceived;
        if (silent > limit) return this.fail(`server silent for more than ${limit / 1000} s (heart-beat missed)`);
        this.silenceTimer = setTimeout(check, limit - silent + 1);
      };
      this.silenceTimer = setTimeout(check, limit + 1);
    }
  }

  private receive(data: Buffer): void {
    this.lastReceived = Date.now();
    let frames;
    try {
      frames = this.decoder.push(data);
    } catch (err) {
      return this.fail(`bad frame from server: ${(err as StompProtocolError).message}`);
    }
    for (const frame of frames) {
      if (frame.command === 'HEARTBEAT') continue;
      const full = frame as StompFrame;
      if (full.command === 'ERROR') return this.fail(`server sent ERROR: ${full.headers.message ?? full.body}`);
      if (full.command !== 'MESSAGE') continue;
      const destination = full.headers.destination ?? '';
      const correlationId = full.headers.correlationId;
      if (destination === USER_DESTINATION && correlationId !== undefined && this.pending.has(correlationId)) {
        const request = this.pending.get(correlationId)!;
        this.pending.delete(correlationId);
        clearTimeout(request.timer);
        try {
          request.resolve(full.body === '' ? {} : JSON.parse(full.body));
        } catch {
          request.reject(new Error(`unreadable JSON in the answer to ${request.destination}`));
        }
        continue;
      }
      if (destination === USER_DESTINATION && correlationId !== undefined && this.unawaited.delete(correlationId)) continue;
      for (const handler of this.messageHandlers) handler({ destination, headers: full.headers, body: full.body });
    }
  }

  private fail(reason: string): void {
    this.shutDown(reason);
    this.ws.terminate();
  }

  private shutDown(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    clearTimeout(this.silenceTimer);
    for (const [, request] of this.pending) {
      clearTimeout(request.timer);
      request.reject(new Error(`connection lost while waiting for the answer to ${request.destination}: ${reason}`));
    }
    this.pending.clear();
    for (const handler of this.closeHandlers.splice(0)) handler(reason);
  }

  private write(frame: StompFrame): void {
    if (this.closedReason !== undefined) throw new Error(`connection closed: ${this.closedReason}`);
    this.ws.send(encodeFrame(frame));
  }
}

function sendFrame(destination: string, body: unknown, headers: Record<string, string>): StompFrame {
  return { command: 'SEND', headers: { destination, 'content-type': 'application/json;charset=UTF-8', ...headers }, body: JSON.stringify(body) };
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data as ArrayBuffer);
}
