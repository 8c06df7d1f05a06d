// The local control channel: a Unix socket (mode 0600) in the pid dir where `ambari-agent
// status` asks the running agent what state it is in. One JSON request line, one JSON answer.
// Local only by construction: nothing here listens on the network.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { fromCallback, type AnyActorRef } from 'xstate';
import { describeActor, findActor, topLevelState, type ActorNode } from '../introspection/actorTree.js';

export const SUPERVISOR_SYSTEM_ID = 'supervisor';
const MAX_REQUEST_BYTES = 4096;

export type ControlRequest = { cmd: 'status' } | { cmd: 'tree' };

export interface StatusReply {
  pid: number;
  state: string;
  pingPort?: number;
  activeServer?: string;
  /** The live responseId (the heartbeat machine's) while registered. */
  responseId?: number;
  /** Commands the action queue holds: queued, running or retrying. */
  commands?: Array<{ taskId: number; label: string; state: string; attempts: number }>;
}

/** The action queue's command actors, in task order. */
function commandsOf(tree: ActorNode): StatusReply['commands'] {
  const queue = findActor(tree, 'actionQueue');
  if (!queue) return undefined;
  return queue.children
    .filter((child) => child.id.startsWith('task-'))
    .map((child) => ({
      taskId: Number(child.id.slice('task-'.length)),
      label: String(child.context?.label ?? ''),
      state: typeof child.state === 'string' ? child.state : JSON.stringify(child.state),
      attempts: Number(child.context?.attempts ?? 0),
    }))
    .sort((a, b) => a.taskId - b.taskId);
}

export function answer(request: ControlRequest, root: AnyActorRef): unknown {
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
      } satisfies StatusReply;
    }
    case 'tree':
      return describeActor(root);
    default:
      return { error: `unknown request ${JSON.stringify((request as { cmd?: unknown }).cmd)}` };
  }
}

export function createControlChannel(socketPath: string) {
  return fromCallback(({ system, sendBack }) => {
    // Only reached after the pid file is ours, so a socket file left here is a dead agent's.
    rmSync(socketPath, { force: true });
    const server = createServer((socket) => serve(socket, () => system.get(SUPERVISOR_SYSTEM_ID) as AnyActorRef | undefined));
    server.listen(socketPath, () => chmodSync(socketPath, 0o600));
    server.on('error', (err) => {
      // The supervisor logs this and restarts the channel (a bounded number of times).
      sendBack({ type: 'CONTROL_CHANNEL.FAILED', error: `control socket ${socketPath}: ${err.message}` });
    });
    return () => {
      server.close();
      rmSync(socketPath, { force: true });
    };
  });
}

function serve(socket: Socket, root: () => AnyActorRef | undefined): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_REQUEST_BYTES) return void socket.end(`${JSON.stringify({ error: 'request too large' })}\n`);
    const newline = buffer.indexOf('\n');
    if (newline < 0) return;
    let reply: string;
    try {
      const ref = root();
      reply = JSON.stringify(ref ? answer(JSON.parse(buffer.slice(0, newline)) as ControlRequest, ref) : { error: 'agent is not running' });
    } catch (err) {
      reply = JSON.stringify({ error: (err as Error).message });
    }
    socket.end(`${reply}\n`);
  });
}
