// `ambari-agent CMD [--home DIR]`: the control script. Messages and exit codes follow the
// original's; user mistakes end in one line on stderr and exit 1, never a stack trace.
import { ConfigError, systemErrorLine } from '../config/errors.js';
import { AGENT_VERSION } from '../version.js';
import { parseCliArgs } from './args.js';
import { COMMANDS, commandNamed } from './commandTable.js';
import { complain, EXIT, say } from './context.js';
import { commandHelp, generalHelp, generalUsage, usageLine } from './helpText.js';
import { UsageError, type UsageShown } from './usageError.js';

async function run(argv: string[]): Promise<number> {
  const args = parseCliArgs(argv);
  if (args.version) {
    say(AGENT_VERSION);
    return EXIT.OK;
  }
  // parseCliArgs has refused an unknown command; none with --help asks for the general help.
  const command = commandNamed(args.command);
  if (args.help) {
    say(command ? commandHelp(command) : generalHelp(COMMANDS));
    return EXIT.OK;
  }
  if (!command) throw new UsageError('no command given');
  // `machines` reads no home; JSON output must stay the only thing on stdout.
  if (args.home && command.name !== 'machines' && command.name !== 'simulate' && !(command.name === 'state' && args.json)) say(`Allow running multiple agents on this host; will use custom Home Dir: ${args.home}`);
  return command.run(args, COMMANDS);
}

function usageOf(shown: UsageShown): string[] {
  if (shown === false) return [];
  if (shown === 'general') return generalUsage(COMMANDS);
  const command = commandNamed(shown.of);
  return command ? [usageLine(command)] : generalUsage(COMMANDS);
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      complain(`ambari-agent: ${err.message}`);
      for (const line of usageOf(err.usage)) complain(line);
    } else if (err instanceof ConfigError) {
      complain(`ERROR: ${err.message}`);
    } else {
      // A file or directory of the home that is not what it should be: one line naming it;
      // anything else is a bug, with its stack.
      complain(`ERROR: ${systemErrorLine(err) ?? (err as Error)?.stack ?? String(err)}`);
    }
    process.exit(EXIT.ERROR);
  },
);
