import type { StatusReply } from '../../actors/local/controlChannel.js';
import { askAgent } from '../controlClient.js';
import { runningAgent } from '../runningAgent.js';
import { EXIT, say, type CommandContext } from '../context.js';

export async function status({ paths }: CommandContext): Promise<number> {
  const running = runningAgent(paths);
  if ('exitCode' in running) return running.exitCode;
  const { pid } = running;
  say(`Found ambari-agent PID: ${pid}`);
  say('ambari-agent running.');
  say(`Agent PID at: ${paths.pidFile}`);
  say(`Agent out at: ${paths.outFile}`);
  say(`Agent log at: ${paths.logFile}`);
  try {
    const reply = await askAgent<StatusReply>(paths.controlSocket, { cmd: 'status' });
    say(`State: ${reply.state}`);
    if (reply.activeServer) say(`Server: ${reply.activeServer}`);
    if (reply.responseId !== undefined) say(`Response id: ${reply.responseId}`);
    if (reply.statePageUrl) say(`State page: ${reply.statePageUrl}`);
    if (reply.inspectorUrl) say(`Inspector: ${reply.inspectorUrl}`);
    if (reply.commands) {
      say(`Commands: ${reply.commands.length === 0 ? 'none' : reply.commands.length}`);
      for (const command of reply.commands) say(`  task ${command.taskId}: ${command.label} ${command.state}${command.attempts > 1 ? ` (attempt ${command.attempts})` : ''}`);
    }
  } catch (err) {
    say(`State: unknown (${(err as Error).message})`);
  }
  return EXIT.OK;
}
