// Client side of the agent's local control channel (see actors/local/controlChannel.ts).
import { connect, Socket } from 'node:net';
import type { ControlRequest } from '../actors/local/controlChannel.js';
import { socketAddress } from '../actors/local/socketAddress.js';

/** A connection to the control socket, however deep its path (see actors/local/socketAddress.ts). */
export function connectControl(socketPath: string): Socket {
  const socket = new Socket();
  let address;
  try {
    address = socketAddress(socketPath);
  } catch (err) {
    // As a failed connect: the caller's 'error' handler says it (ENOENT: no agent made the dir).
    process.nextTick(() => socket.destroy(err as Error));
    return socket;
  }
  socket.once('connect', address.release);
  socket.once('close', address.release);
  return socket.connect(address.address);
}

export function askAgent<T>(socketPath: string, request: ControlRequest, timeoutMs = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = connectControl(socketPath);
    let data = '';
    const timer = setTimeout(() => socket.destroy(new Error(`no answer on ${socketPath} within ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        const reply = JSON.parse(data) as T & { error?: string };
        if (reply.error) reject(new Error(reply.error));
        else resolve(reply);
      } catch {
        reject(new Error(`unreadable answer on ${socketPath}`));
      }
    });
  });
}

/** Connects to a ping port and returns what it says (the agent answers "OK"). */
export function ping(port: number, host = '127.0.0.1', timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host });
    let data = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}:${port}`)));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
  });
}
