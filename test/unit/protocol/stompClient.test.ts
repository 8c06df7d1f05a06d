// The agent's STOMP client against a minimal server on 127.0.0.1 that records every SEND and
// answers each on /user/ with its correlationId, as the Java server answers every @MessageMapping
// (AgentReportsController, HeartbeatController: @SendToUser("/")).
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { StompClient } from '../../../src/protocol/stompClient.js';
import { CLIENT_COMMANDS, encodeFrame, FrameDecoder, type StompFrame } from '../../../src/protocol/stompFrame.js';

interface Server {
  url: string;
  sends: StompFrame[];
  close: () => Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** A server that answers CONNECT with `heart-beat: 500,0`, then sends `beats` heart-beats 50 ms apart and nothing more. */
async function silentServer(beats: number): Promise<Server & { lastBeatAt: () => number }> {
  const port = await getPort({ host: '127.0.0.1' });
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  let lastBeatAt = 0;
  const timers: NodeJS.Timeout[] = [];
  wss.on('connection', (ws: WebSocket) => {
    ws.once('message', () => {
      ws.send(encodeFrame({ command: 'CONNECTED', headers: { version: '1.2', 'heart-beat': '500,0' }, body: '' }));
      lastBeatAt = Date.now();
      let left = beats;
      const timer = setInterval(() => {
        if (left-- <= 0) return clearInterval(timer);
        ws.send('\n');
        lastBeatAt = Date.now();
      }, 50);
      timers.push(timer);
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const server = {
    url: `ws://127.0.0.1:${port}/agent/stomp/v1`,
    sends: [],
    lastBeatAt: () => lastBeatAt,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
  servers.push(server);
  return server;
}

async function answeringServer(): Promise<Server> {
  const port = await getPort({ host: '127.0.0.1' });
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  const sends: StompFrame[] = [];
  wss.on('connection', (ws: WebSocket) => {
    const decoder = new FrameDecoder(CLIENT_COMMANDS);
    ws.on('message', (data: Buffer) => {
      for (const frame of decoder.push(data)) {
        if (frame.command === 'HEARTBEAT') continue;
        const full = frame as StompFrame;
        if (full.command === 'CONNECT') ws.send(encodeFrame({ command: 'CONNECTED', headers: { version: '1.2', 'heart-beat': '0,0' }, body: '' }));
        if (full.command !== 'SEND') continue;
        sends.push(full);
        const headers: Record<string, string> = { destination: '/user/', subscription: 'sub-0', 'message-id': String(sends.length) };
        if (full.headers.correlationId !== undefined) headers.correlationId = full.headers.correlationId;
        ws.send(encodeFrame({ command: 'MESSAGE', headers, body: JSON.stringify({ status: 'OK' }) }));
      }
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const server = {
    url: `ws://127.0.0.1:${port}/agent/stomp/v1`,
    sends,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
  servers.push(server);
  return server;
}

describe('StompClient SEND headers', () => {
  it('gives every SEND a correlationId, fire-and-forget ones too, and drops their answers', async () => {
    const server = await answeringServer();
    const client = await StompClient.connect({ url: server.url, tls: { rejectUnauthorized: false }, heartbeat: [0, 0] });
    const delivered: string[] = [];
    client.onMessage((message) => delivered.push(`${message.destination} ${message.headers.correlationId ?? '-'}`));
    client.subscribe('/user/');

    expect(await client.request('/register', { id: -1 })).toEqual({ status: 'OK' });
    client.send('/reports/responses', { messageId: 7, status: 'OK' });
    expect(await client.request('/heartbeat', { id: 0 })).toEqual({ status: 'OK' });
    client.close();

    const ids = server.sends.map((frame) => frame.headers.correlationId);
    expect(server.sends.map((frame) => frame.headers.destination)).toEqual(['/register', '/reports/responses', '/heartbeat']);
    expect(ids).toEqual(['0', '1', '2']);
    // The answer to the confirmation was not taken for an event.
    expect(delivered).toEqual([]);
  });
});

describe('StompClient dead-peer check', () => {
  it('closes a connection whose server went silent for two heart-beat periods, and not while its heart-beats come', async () => {
    const server = await silentServer(30);
    const client = await StompClient.connect({ url: server.url, tls: { rejectUnauthorized: false }, heartbeat: [0, 500] });
    const reason = await new Promise<string>((resolve) => client.onClose(resolve));
    expect(reason).toBe('server silent for more than 1 s (heart-beat missed)');
    // 30 beats 50 ms apart outlast the 1 s limit: the close came only after the last of them.
    expect(Date.now()).toBeGreaterThanOrEqual(server.lastBeatAt() + 1000);
  });
});
