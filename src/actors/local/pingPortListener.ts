// The ping port socket: bound on 0.0.0.0 with a backlog of 1 (as the original), it writes `OK`
// to every connection and closes it. Stopping the actor closes the server, releasing the port.
import { createServer } from 'node:net';
import { fromCallback } from 'xstate';
import type { ListenerEvent, PingPortInput } from '../../machines/pingPort.js';
import { findPortHolder } from './portHolder.js';

export const PING_HOST = '0.0.0.0';

export const pingPortListener = fromCallback<ListenerEvent, PingPortInput>(({ input, sendBack }) => {
  const server = createServer({ pauseOnConnect: false }, (socket) => {
    socket.on('error', () => socket.destroy());
    socket.end('OK');
    sendBack({ type: 'PINGED' });
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    sendBack({ type: 'LISTEN_FAILED', error: describeBindError(input.port, err) });
  });
  server.listen({ host: PING_HOST, port: input.port, backlog: 1, exclusive: true }, () => {
    const address = server.address();
    sendBack({ type: 'LISTENING', port: typeof address === 'object' && address ? address.port : input.port });
  });
  return () => {
    server.close();
  };
});

export function describeBindError(port: number, err: NodeJS.ErrnoException): string {
  if (err.code === 'EADDRINUSE') {
    const holder = findPortHolder(port);
    const who = holder ? `${holder.pid} ${holder.command}` : 'unknown process (not visible to this user)';
    return `Could not open port ${port} because port already used by another process:\n${who}`;
  }
  if (err.code === 'EACCES') return `Could not open port ${port}: permission denied (ports below 1024 need root)`;
  return `Could not open port ${port}: ${err.message}`;
}
