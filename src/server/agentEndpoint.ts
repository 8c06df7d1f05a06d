// The server half of the agent protocol on one WebSocket: STOMP CONNECT/SUBSCRIBE/SEND, and
// for every SEND with a correlationId a MESSAGE on the connection's `/user/` subscription.
// A misbehaving client (bad STOMP frame, unknown destination) gets an ERROR frame and is
// disconnected; other connections are untouched.
//
// Strict mode (the default) answers as the Java server: every body is read as Jackson reads it
// into the destination's Java class (agentSchemas.ts) and a body it cannot read is answered
// with the Java error shape (serverErrors.ts) with nothing of it applied; a registration with
// another agentVersion is refused. Lenient mode (--lenient) takes what older agents send.
// In both modes a WebSocket message over the frame size limit closes the connection (1009).
import type WebSocket from 'ws';
import { CLIENT_COMMANDS, encodeFrame, encodeFrameHead, FrameDecoder, negotiateHeartbeat, StompProtocolError, type StompFrame } from '../protocol/stompFrame.js';
import { DESTINATION_TYPES } from './agentSchemas.js';
import { SYNC_DESTINATIONS, type ClusterData } from './clusterData.js';
import type { FaultInjector } from './faultInjector.js';
import type { HostRegistry } from './hostRegistry.js';
import { readAs } from './jacksonSchema.js';
import {
  conversionFailure,
  DEFAULT_MAX_MESSAGE_SIZE,
  errorMessageBody,
  incompatibleVersionMessage,
  MESSAGE_TOO_LARGE,
  OK_RESPONSE,
  registrationAccepted,
  registrationRefused,
  tooLargeReason,
} from './serverErrors.js';
import { areVersionsEqual } from './versionUtils.js';

export const USER_DESTINATION = '/user/';
const SERVER_HEARTBEAT = '10000,10000';

export interface ServerLog {
  (level: 'info' | 'warn' | 'debug', msg: string): void;
}

export interface EndpointContext {
  hosts: HostRegistry;
  cluster: ClusterData;
  log: ServerLog;
  /** Reports the agents sent, by destination (kept for the JSON API and later issues). */
  onReport?: (hostName: string | undefined, destination: string, body: unknown) => void;
  /** A heartbeat body the server accepted (its staleAlerts are kept). */
  onHeartbeat?: (hostName: string, body: Record<string, unknown>) => void;
  /** After a successful /register was answered (connection.hostName is set). */
  onRegistered?: (connection: AgentConnection) => void;
  /** After a SUBSCRIBE (e.g. /user/commands, which the agent subscribes after registration). */
  onSubscribed?: (connection: AgentConnection, destination: string) => void;
  /** An AckReport on /reports/responses (already validated in strict mode). */
  onAck?: (connection: AgentConnection, ack: Record<string, unknown>) => void;
  /** Refuse what the Java server refuses (default true). */
  strict?: boolean;
  /** The server's version registrations are checked against (strict mode). */
  ambariVersion?: string;
  /** stomp.max_incoming.message.size: bytes of one WebSocket message. */
  maxMessageSize?: number;
  /** Test hook: answers to fail on purpose. */
  faults?: FaultInjector;
}

let connectionCounter = 0;

/** An answer already serialized (the cached sync answers): sent as it is. */
class JsonBytes {
  constructor(readonly bytes: Buffer) {}
}

/** Bodies from this size on are written as WebSocket fragments (head, body, NUL) instead of being copied into one frame. */
const FRAGMENT_FROM_BYTES = 16 * 1024;
const FRAGMENT_BYTES = 16 * 1024;
const NUL = Buffer.from([0]);

/**
 * The STOMP heart-beats of every open connection, on one timer for all of them (not two per
 * connection: 10,000 agents would be 10,000 timer callbacks a second): once a second it closes
 * connections silent for twice their interval and writes a heart-beat to those it sent nothing
 * for an interval (any frame counts, so heartbeat answers make most of them unneeded).
 */
class HeartbeatWatch {
  private readonly connections = new Set<AgentConnection>();
  private timer: NodeJS.Timeout | undefined;

  add(connection: AgentConnection): void {
    this.connections.add(connection);
    if (this.timer === undefined) {
      this.timer = setInterval(() => {
        const now = Date.now();
        for (const watched of this.connections) watched.checkHeartbeat(now);
      }, 1000);
      this.timer.unref();
    }
  }

  delete(connection: AgentConnection): void {
    this.connections.delete(connection);
    if (this.connections.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

const heartbeatWatch = new HeartbeatWatch();

export class AgentConnection {
  readonly id = `conn-${++connectionCounter}`;
  hostName: string | undefined;
  private connected = false;
  private readonly decoder = new FrameDecoder(CLIENT_COMMANDS);
  /** destination -> subscription id */
  private readonly subscriptions = new Map<string, string>();
  private messageCounter = 0;
  /** Negotiated STOMP heart-beats (ms, 0: none). */
  private sendEvery = 0;
  private expectEvery = 0;
  private lastReceived = Date.now();
  private lastSent = Date.now();
  /** Writes waiting behind a large message's fragments (send()). */
  private readonly outbox: Array<{ data: string | Buffer; fin: boolean }> = [];
  private flushing = false;
  private closeWhenFlushed: [number, string] | undefined;
  private closed = false;
  /** Unknown properties already logged, so a chatty agent logs each once. */
  private readonly loggedUnknown = new Set<string>();

  constructor(
    private readonly ws: WebSocket,
    private readonly context: EndpointContext,
    readonly remote: string,
  ) {
    ws.on('message', (data: Buffer) => this.receive(data));
    ws.on('close', () => this.cleanUp());
    ws.on('error', () => this.cleanUp());
  }

  /** Pushes a MESSAGE to this agent's subscription of `destination`; false if not subscribed. */
  push(destination: string, body: unknown, headers: Record<string, string> = {}): boolean {
    return this.pushText(destination, JSON.stringify(body), headers);
  }

  /** Like push, with the body sent exactly as given (it need not be JSON). */
  pushText(destination: string, body: string, headers: Record<string, string> = {}): boolean {
    return this.pushMessage(destination, body, headers);
  }

  /** Like pushText, with the body already UTF-8: the cached sync answers, broadcast events. */
  pushBytes(destination: string, body: Buffer, headers: Record<string, string> = {}): boolean {
    return this.pushMessage(destination, body, headers);
  }

  /**
   * A MESSAGE of FRAGMENT_FROM_BYTES or more goes out as one WebSocket message in fragments
   * (the head, FRAGMENT_BYTES pieces of the body, the NUL), each written when the one before
   * has left: a TLS socket keeps a buffer the size of the largest write it had to hold, for as
   * long as it lives (~490 KB kept per connection after one 500 KB write), and a shared
   * body is never copied into a frame per agent. The agent's STOMP decoder sees one frame.
   */
  private pushMessage(destination: string, body: string | Buffer, headers: Record<string, string>): boolean {
    const subscription = this.subscriptions.get(destination);
    if (subscription === undefined || this.closed) return false;
    const frameHeaders = { ...this.messageHeaders(destination, subscription), ...headers };
    // A string of fewer than a third as many UTF-16 units cannot reach the limit in UTF-8.
    const bytes = typeof body !== 'string' ? body : body.length * 3 < FRAGMENT_FROM_BYTES ? undefined : Buffer.from(body);
    if (bytes === undefined || bytes.length < FRAGMENT_FROM_BYTES) {
      this.write({ command: 'MESSAGE', headers: frameHeaders, body: typeof body === 'string' ? body : body.toString('utf8') });
      return true;
    }
    this.lastSent = Date.now();
    this.send(encodeFrameHead('MESSAGE', frameHeaders, bytes.length), false);
    for (let at = 0; at < bytes.length; at += FRAGMENT_BYTES) this.send(bytes.subarray(at, at + FRAGMENT_BYTES), false);
    this.send(NUL, true);
    return true;
  }

  private messageHeaders(destination: string, subscription: string): Record<string, string> {
    return { destination, subscription, 'message-id': `${this.id}-${++this.messageCounter}`, 'content-type': 'application/json;charset=UTF-8' };
  }

  /**
   * Writes to the WebSocket in order: at once when nothing waits, else behind what waits (the
   * fragments of a large message, one at a time; `fin` false: more of the same message follows).
   */
  private send(data: string | Buffer, fin = true): void {
    if (!this.flushing && fin) {
      this.ws.send(data);
      return;
    }
    this.outbox.push({ data, fin });
    if (!this.flushing) this.flushNext();
  }

  private flushNext(): void {
    const next = this.outbox.shift();
    if (next === undefined) {
      this.flushing = false;
      if (this.closeWhenFlushed) this.ws.close(...this.closeWhenFlushed);
      return;
    }
    this.flushing = true;
    // The callback comes when the data has left (or, with an error, when the socket is gone).
    this.ws.send(next.data, { binary: false, fin: next.fin }, () => this.flushNext());
  }

  /** Writes text as it is: for tests of agents against broken frames. */
  pushRaw(text: string): void {
    if (this.closed) return;
    this.lastSent = Date.now();
    this.send(text);
  }

  /** HeartbeatWatch's tick: close a silent client, send a heart-beat when due. */
  checkHeartbeat(now: number): void {
    if (this.closed) return;
    if (this.expectEvery > 0 && now - this.lastReceived > this.expectEvery * 2) return this.close(`client silent for more than ${(this.expectEvery * 2) / 1000} s`);
    if (this.sendEvery > 0 && now - this.lastSent >= this.sendEvery) this.pushRaw('\n');
  }

  /** Destinations this connection subscribed to. */
  subscribed(): string[] {
    return [...this.subscriptions.keys()];
  }

  close(reason: string, code = 1000): void {
    if (this.closed) return;
    this.context.log('info', `closing ${this.describe()}: ${reason}`);
    // What was written before (an ERROR frame after a large message) goes out first.
    if (this.flushing) this.closeWhenFlushed = [code, reason.slice(0, 120)];
    else this.ws.close(code, reason.slice(0, 120));
    this.cleanUp();
  }

  /** Test hook: drops the TCP connection without a closing handshake, as a network failure does. */
  cut(): void {
    if (this.closed) return;
    this.context.log('info', `cutting ${this.describe()} (fault injection)`);
    this.ws.terminate();
    this.cleanUp();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private describe(): string {
    return `${this.id} (${this.hostName ?? 'unregistered'} from ${this.remote})`;
  }

  private receive(data: Buffer): void {
    this.lastReceived = Date.now();
    const limit = this.context.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    if (data.length > limit) {
      // As Jetty's maxTextMessageSize (serverErrors.ts): closed before STOMP sees the frame.
      const reason = tooLargeReason(data.length, limit);
      this.context.log('warn', `closing ${this.describe()}: ${reason}`);
      return this.close(reason, MESSAGE_TOO_LARGE);
    }
    let frames;
    try {
      frames = this.decoder.push(data);
    } catch (err) {
      return this.protocolError(err instanceof StompProtocolError ? err.message : String(err));
    }
    for (const frame of frames) {
      if (this.closed) return;
      if (frame.command === 'HEARTBEAT') continue;
      try {
        this.handle(frame as StompFrame);
      } catch (err) {
        // Whatever a client sends, only its own connection may suffer for it.
        return this.protocolError(`cannot handle ${frame.command}: ${(err as Error).message}`);
      }
    }
  }

  private handle(frame: StompFrame): void {
    if (!this.connected && frame.command !== 'CONNECT' && frame.command !== 'STOMP') {
      return this.protocolError(`${frame.command} before CONNECT`);
    }
    switch (frame.command) {
      case 'CONNECT':
      case 'STOMP':
        return this.onConnect(frame);
      case 'SUBSCRIBE': {
        const { destination, id } = frame.headers;
        if (!destination || id === undefined) return this.protocolError('SUBSCRIBE needs destination and id headers');
        this.subscriptions.set(destination, id);
        this.context.onSubscribed?.(this, destination);
        return;
      }
      case 'UNSUBSCRIBE':
        for (const [destination, id] of this.subscriptions) if (id === frame.headers.id) this.subscriptions.delete(destination);
        return;
      case 'SEND':
        return this.onSend(frame);
      case 'DISCONNECT':
        if (frame.headers.receipt) this.write({ command: 'RECEIPT', headers: { 'receipt-id': frame.headers.receipt }, body: '' });
        return this.close('client disconnected');
      default:
        // ACK, NACK, transactions: accepted and ignored (the agent confirms through /reports/responses).
        return;
    }
  }

  private onConnect(frame: StompFrame): void {
    if (this.connected) return this.protocolError('second CONNECT');
    const accepted = (frame.headers['accept-version'] ?? '1.0').split(',');
    if (!accepted.includes('1.2')) return this.protocolError(`unsupported STOMP version(s) ${accepted.join(',')}; this server speaks 1.2`);
    this.connected = true;
    const { sendEvery, expectEvery } = negotiateHeartbeat(SERVER_HEARTBEAT, frame.headers['heart-beat']);
    this.write({ command: 'CONNECTED', headers: { version: '1.2', 'heart-beat': SERVER_HEARTBEAT, server: 'ambari-dev-server' }, body: '' });
    this.sendEvery = sendEvery;
    this.expectEvery = expectEvery;
    if (sendEvery > 0 || expectEvery > 0) heartbeatWatch.add(this);
  }

  private onSend(frame: StompFrame): void {
    const destination = frame.headers.destination;
    if (!destination) return this.protocolError('SEND without destination');
    const strict = this.context.strict ?? true;
    const correlationId = frame.headers.correlationId;
    const answer = (body: unknown) => {
      if (correlationId === undefined) return;
      if (body instanceof JsonBytes) this.pushBytes(USER_DESTINATION, body.bytes, { correlationId });
      else this.push(USER_DESTINATION, body, { correlationId });
    };
    const refuse = (message: string) => {
      this.context.log('warn', `${destination} from ${this.describe()} refused: ${message}`);
      answer(errorMessageBody(message));
    };
    let body: unknown;
    try {
      body = frame.body === '' ? {} : JSON.parse(frame.body);
    } catch (err) {
      if (!strict) return this.protocolError(`invalid JSON body sent to ${destination}`);
      return refuse(conversionFailure(`Unexpected character: ${(err as Error).message}`, 'com.fasterxml.jackson.core.JsonParseException'));
    }
    if (strict) {
      const type = DESTINATION_TYPES[destination];
      if (type !== undefined) {
        const read = readAs(type, body);
        if (!read.ok) return refuse(conversionFailure(read.error, read.exception));
        this.logUnknown(destination, read.unknown);
      }
    } else if (!body || typeof body !== 'object' || (Array.isArray(body) && destination !== '/reports/alerts_status')) {
      return this.protocolError(`body sent to ${destination} is not a JSON object`);
    }
    if (body === null) body = {};
    const fault = this.hostName ? this.context.faults?.take(this.hostName, destination) : undefined;
    if (fault !== undefined) return refuse(fault);
    const result = this.route(destination, body as Record<string, unknown>);
    if (result === undefined) return;
    answer(result);
    // Commands waiting for the host go out after the registration answer.
    if (destination === '/register' && this.hostName && (result as { exitstatus?: unknown }).exitstatus === 0) this.context.onRegistered?.(this);
  }

  /** One warning per destination and unknown property (Jackson ignores them: FAIL_ON_UNKNOWN_PROPERTIES is off). */
  private logUnknown(destination: string, properties: string[]): void {
    for (const property of properties) {
      const key = `${destination} ${property.replace(/\[\d+\]/g, '[]')}`;
      if (this.loggedUnknown.has(key)) continue;
      this.loggedUnknown.add(key);
      this.context.log('warn', `${destination} from ${this.describe()}: unknown property ${property} (ignored, as the Java server does)`);
    }
  }

  /** The answer to a SEND, or undefined when the connection was closed for a protocol error. */
  private route(destination: string, body: Record<string, unknown>): unknown {
    const { hosts, cluster, log } = this.context;
    if (destination === '/register') {
      const hostName = typeof body.hostname === 'string' ? body.hostname.trim().toLowerCase() : '';
      if (!hostName) return registrationRefused('registration without a hostname');
      const serverVersion = this.context.ambariVersion;
      if ((this.context.strict ?? true) && serverVersion !== undefined) {
        const agentVersion = typeof body.agentVersion === 'string' ? body.agentVersion : body.agentVersion == null ? null : String(body.agentVersion);
        if (!areVersionsEqual(serverVersion, agentVersion)) {
          const message = incompatibleVersionMessage(body.hostname, agentVersion, serverVersion);
          log('warn', `registration of ${hostName} refused: ${message}`);
          return registrationRefused(message);
        }
      }
      this.hostName = hostName;
      hosts.register(hostName, body, this.id);
      cluster.registered(hostName, body);
      log('info', `registered ${hostName} (agent ${JSON.stringify(body.agentVersion ?? null)}, ${this.id})`);
      return registrationAccepted();
    }
    if (!this.hostName) {
      this.protocolError(`${destination} before /register`);
      return undefined;
    }
    if (destination === '/heartbeat') {
      const answer = hosts.heartbeat(this.hostName);
      if (!answer) {
        this.protocolError(`heartbeat from unknown host ${this.hostName}`);
        return undefined;
      }
      this.context.onHeartbeat?.(this.hostName, body);
      // HeartBeatResponse (agent/HeartBeatResponse.java, NON_EMPTY, extends StompResponse): status and id.
      return { status: 'OK', id: answer.id };
    }
    const sync = SYNC_DESTINATIONS[destination];
    if (sync) return new JsonBytes(cluster.sync(sync, this.hostName, body.hash));
    if (destination === '/reports/responses') {
      this.context.onAck?.(this, body);
      return OK_RESPONSE;
    }
    if (destination.startsWith('/reports/')) {
      this.context.onReport?.(this.hostName, destination, body);
      return OK_RESPONSE;
    }
    this.protocolError(`unknown destination ${destination}`);
    return undefined;
  }

  private protocolError(message: string): void {
    if (this.closed) return;
    this.context.log('warn', `protocol error from ${this.describe()}: ${message}`);
    try {
      this.write({ command: 'ERROR', headers: { message: message.slice(0, 200) }, body: message });
    } catch {
      // the socket may already be gone
    }
    this.close('protocol error');
  }

  private write(frame: StompFrame): void {
    this.lastSent = Date.now();
    this.send(encodeFrame(frame));
  }

  private cleanUp(): void {
    if (this.closed) return;
    this.closed = true;
    heartbeatWatch.delete(this);
    this.context.hosts.connectionClosed(this.id, this.hostName);
  }
}
