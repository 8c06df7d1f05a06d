// The local control channel: a Unix socket (mode 0600) in the pid dir where `ambari-agent
// status` asks the running agent what state it is in. One JSON request line, one JSON answer.
// Local only by construction: nothing here listens on the network.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { fromCallback, type AnyActorRef } from 'xstate';
import { describeActor, findActor, topLevelState, type ActorNode } from '../../introspection/actorTree.js';
import type { StateRecorder } from '../../introspection/stateRecorder.js';
import { ACTION_QUEUE_ID, taskIdOfActor } from '../../machines/actionQueue.js';
import { stateReport } from '../../introspection/stateReport.js';
import { socketAddress, type SocketAddress } from './socketAddress.js';

export const SUPERVISOR_SYSTEM_ID = 'supervisor';
const MAX_REQUEST_BYTES = 4096;

export type ControlRequest = { cmd: 'status' } | { cmd: 'tree' } | { cmd: 'state' } | { cmd: 'watch' };

/** What the channel knows beyond the snapshots (since when each actor is in its state). */
/** Where the viewers (inspector bridge, state page) are, for `status`; filled as they start. */
export interface Viewers {
  inspectorUrl?: string;
  statePageUrl?: string;
}

export interface ControlChannelOptions {
  recorder?: Pick<StateRecorder, 'sinceOf' | 'subscribe'>;
  viewers?: Viewers;
}

/** `watch` sends a new report at most this often. */
const WATCH_MIN_INTERVAL_MS = 100;

export interface StatusReply {
  pid: number;
  state: string;
  pingPort?: number;
  activeServer?: string;
  /** The live responseId (the heartbeat machine's) while registered. */
  responseId?: number;
  /** Commands the action queue holds: queued, running or retrying. */
  commands?: Array<{ taskId: number; label: string; state: string; attempts: number }>;
  inspectorUrl?: string;
  statePageUrl?: string;
}

/** The action queue's command actors, in task order. */
function commandsOf(tree: ActorNode): StatusReply['commands'] {
  const queue = findActor(tree, ACTION_QUEUE_ID);
  if (!queue) return undefined;
  return queue.children
    .filter((child) => taskIdOfActor(child.id) !== undefined)
    .map((child) => ({
      taskId: taskIdOfActor(child.id)!,
      label: String(child.context?.label ?? ''),
      state: typeof child.state === 'string' ? child.state : JSON.stringify(child.state),
      attempts: Number(child.context?.attempts ?? 0),
    }))
    .sort((a, b) => a.taskId - b.taskId);
}

export function answer(request: ControlRequest, root: AnyActorRef, options: ControlChannelOptions = {}): unknown {
  const snapshot = root.getSnapshot() as { value: unknown; context: Record<string, unknown> };
  switch (request.cmd) {
    case 'status': {
      const tree = describeActor(root);
      const heartbeat = findActor(tree, 'heartbeat');
      return {
        pid: process.pid,
        state: topLevelState(snapshot.value),
        pingPort: snapshot.context.boundPort as number | undefined,
        activeServer: snapshot.context.activeServer as string | undefined,
        responseId: (heartbeat?.context?.responseId ?? snapshot.context.responseId) as number | undefined,
        commands: commandsOf(tree),
        inspectorUrl: options.viewers?.inspectorUrl,
        statePageUrl: options.viewers?.statePageUrl,
      } satisfies StatusReply;
    }
    case 'tree':
      return describeActor(root, { sinceOf: options.recorder?.sinceOf.bind(options.recorder) });
    case 'state':
      return stateReport(describeActor(root, { sinceOf: options.recorder?.sinceOf.bind(options.recorder) }));
    default:
      return { error: `unknown request ${JSON.stringify((request as { cmd?: unknown }).cmd)}` };
  }
}

export function createControlChannel(socketPath: string, options: ControlChannelOptions = {}) {
  return fromCallback(({ system, sendBack }) => {
    // Only reached after the pid file is ours, so a socket file left here is a dead agent's.
    rmSync(socketPath, { force: true });
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      serve(socket, () => system.get(SUPERVISOR_SYSTEM_ID) as AnyActorRef | undefined, options);
    });
    const failed = (err: Error) => {
      // The supervisor logs this and restarts the channel (a bounded number of times).
      sendBack({ type: 'CONTROL_CHANNEL.FAILED', error: `control socket ${socketPath}: ${err.message}` });
    };
    server.on('error', failed);
    let bound: SocketAddress;
    try {
      bound = socketAddress(socketPath);
    } catch (err) {
      failed(err as Error);
      return () => {};
    }
    server.listen(bound.address, () => {
      bound.release();
      chmodSync(socketPath, 0o600);
    });
    return () => {
      // Also after a failed listen: the supervisor stops this actor before it spawns a new one.
      bound.release();
      // Watchers see the end of the stream; the agent is going.
      for (const socket of sockets) socket.end();
      server.close();
      rmSync(socketPath, { force: true });
    };
  });
}

function serve(socket: Socket, root: () => AnyActorRef | undefined, options: ControlChannelOptions): void {
  let buffer = '';
  let answered = false;
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    if (answered) return;
    buffer += chunk;
    if (buffer.length > MAX_REQUEST_BYTES) return void socket.end(`${JSON.stringify({ error: 'request too large' })}\n`);
    const newline = buffer.indexOf('\n');
    if (newline < 0) return;
    answered = true;
    let request: ControlRequest;
    try {
      request = JSON.parse(buffer.slice(0, newline)) as ControlRequest;
    } catch (err) {
      return void socket.end(`${JSON.stringify({ error: (err as Error).message })}\n`);
    }
    if (request?.cmd === 'watch') return watch(socket, root, options);
    let reply: string;
    try {
      const ref = root();
      reply = JSON.stringify(ref ? answer(request, ref, options) : { error: 'agent is not running' });
    } catch (err) {
      reply = JSON.stringify({ error: (err as Error).message });
    }
    socket.end(`${reply}\n`);
  });
}

/** `watch`: a state report now and after every change, one JSON line each, until the client goes. */
function watch(socket: Socket, root: () => AnyActorRef | undefined, options: ControlChannelOptions): void {
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  const send = (): void => {
    timer = undefined;
    last = Date.now();
    const ref = root();
    if (!ref || socket.destroyed) return;
    // Backpressure: a client that does not read gets fewer, not more, reports.
    if (socket.writableLength > 1024 * 1024) return;
    socket.write(`${JSON.stringify(answer({ cmd: 'state' }, ref, options))}\n`);
  };
  const changed = (): void => {
    if (timer) return;
    timer = setTimeout(send, Math.max(0, last + WATCH_MIN_INTERVAL_MS - Date.now()));
  };
  const unsubscribe = options.recorder?.subscribe(changed) ?? (() => {});
  socket.on('close', () => {
    unsubscribe();
    clearTimeout(timer);
  });
  send();
}
