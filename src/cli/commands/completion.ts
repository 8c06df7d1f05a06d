// `ambari-agent completion bash`: the completion script, generated from the command table.
import type { CliArgs } from '../args.js';
import { bashCompletion } from '../bashCompletion.js';
import type { CommandSpec } from '../commandSpec.js';
import { EXIT, say } from '../context.js';
import { UsageError } from '../usageError.js';

export const COMPLETION_SHELLS = ['bash'] as const;

export async function completion(args: CliArgs, commands: readonly CommandSpec[]): Promise<number> {
  const [shell, ...rest] = args.positionals;
  if (shell === undefined) throw new UsageError('completion needs the shell (bash)', { of: 'completion' });
  if (rest.length > 0 || !(COMPLETION_SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`no completion for '${[shell, ...rest].join(' ')}' (shells: ${COMPLETION_SHELLS.join(', ')})`, { of: 'completion' });
  }
  say(await bashCompletion(commands));
  return EXIT.OK;
}
