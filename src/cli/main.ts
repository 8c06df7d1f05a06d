// `ambari-agent CMD [--home DIR]`: the control script. Messages and exit codes follow the
// original's; user mistakes end in one line on stderr and exit 1, never a stack trace.
import { ConfigError, systemErrorLine } from '../config/errors.js';
import { AGENT_VERSION } from '../version.js';
import { parseCliArgs, USAGE, USAGE_MORE, UsageError, type CliArgs } from './args.js';
import { commandContext, complain, EXIT, say } from './context.js';
import { init } from './commands/init.js';
import { machines } from './commands/machines.js';
import { reset } from './commands/reset.js';
import { start } from './commands/start.js';
import { state } from './commands/state.js';
import { status } from './commands/status.js';
import { stop } from './commands/stop.js';

async function run(argv: string[]): Promise<number> {
  const args = parseCliArgs(argv);
  if (args.version) {
    say(AGENT_VERSION);
    return EXIT.OK;
  }
  if (args.help) {
    say(USAGE);
    say(USAGE_MORE);
    return EXIT.OK;
  }
  // `machines` reads no home; JSON output must stay the only thing on stdout.
  if (args.home && args.command !== 'machines' && !(args.command === 'state' && args.json)) say(`Allow running multiple agents on this host; will use custom Home Dir: ${args.home}`);
  return dispatch(args);
}

async function dispatch(args: CliArgs): Promise<number> {
  switch (args.command) {
    case 'init':
      return init(args);
    case 'start':
      return start(commandContext(args));
    case 'stop':
      return stop(commandContext(args));
    case 'status':
      return status(commandContext(args));
    case 'restart': {
      const ctx = commandContext(args);
      say('Restarting ambari-agent');
      await stop(ctx);
      return start(ctx);
    }
    case 'reset':
      return reset(commandContext(args));
    case 'state':
      return state(commandContext(args), { json: args.json, watch: args.watch });
    // Needs no ini: it prints the machine definitions compiled into the agent.
    case 'machines':
      return machines(args);
    default:
      throw new UsageError(args.command ? `unknown command '${args.command}'` : 'no command given');
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      complain(`ambari-agent: ${err.message}`);
      if (err.showUsage) {
        complain(USAGE);
        complain(USAGE_MORE);
      }
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
