// `ambari-agent help [COMMAND]`: from the command table; reads no home, writes nothing.
import type { CliArgs } from '../args.js';
import type { CommandSpec } from '../commandSpec.js';
import { EXIT, say } from '../context.js';
import { commandHelp, generalHelp } from '../helpText.js';
import { UsageError } from '../usageError.js';

export function help(args: CliArgs, commands: readonly CommandSpec[]): number {
  if (args.positionals.length > 1) throw new UsageError(`help takes one command, not ${args.positionals.length}`, { of: 'help' });
  const name = args.positionals[0];
  if (name === undefined) {
    say(generalHelp(commands));
    return EXIT.OK;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command '${name}'`);
  say(commandHelp(command));
  return EXIT.OK;
}
