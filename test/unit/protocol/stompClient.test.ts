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
