import { say, type CommandContext } from '../context.js';
import { start } from './start.js';
import { stop } from './stop.js';

/** `ambari-agent restart`: stop (also when not running), then start. */
export async function restart(ctx: CommandContext): Promise<number> {
  say('Restarting ambari-agent');
  await stop(ctx);
  return start(ctx);
}
