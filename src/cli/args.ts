// Command-line parsing for `ambari-agent` (node's own util.parseArgs: no dependency needed),
// checked against the command table: a command takes its own options and the global ones.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isLogFormat, LOG_FORMATS, type LogFormat } from '../logging/logFormats.js';
import { GLOBAL_OPTIONS, optionsOf, type CommandSpec, type OptionSpec } from './commandSpec.js';
import { COMMANDS, commandNamed } from './commandTable.js';
import { UsageError } from './usageError.js';

export interface CliArgs {
  command?: string;
  positionals: string[];
  home: string;
  verbose: boolean;
  expectedHostname?: string;
  foreground: boolean;
  version: boolean;
  help: boolean;
  servers: string[];
  urlPort?: string;
  securedUrlPort?: string;
  set: string[];
  /** `init --ambari-version V`: the version written to prefix/version (registered with). */
  ambariVersion?: string;
  force: boolean;
  /** `machines --format mermaid|json`. */
  format?: string;
  /** `state --json`, `state --watch`. */
  json: boolean;
  watch: boolean;
  /** `start --inspect`: serve the Stately inspector bridge ([agent] inspect=1 does the same). */
  inspect: boolean;
  /** `start --status-page PORT`: serve the state page ([agent] status_page_port does the same). */
  statusPage?: string;
  /** Every option as parsed, by its long name (commands with options of their own read them here: simulate). */
  options: Readonly<Values>;
  /** `start --log-format ambari|json`: the log's lines as the original's, or pino's own JSON. */
  logFormat?: LogFormat;
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** parseArgs' options for these specs. */
function parseArgsOptions(options: readonly OptionSpec[]): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    options.map((option) => [option.name, { type: option.value ? 'string' : 'boolean', ...(option.short ? { short: option.short } : {}), ...(option.multiple ? { multiple: true } : {}) }] as const),
  );
}

/** Every option of the table, each name once. */
function everyOption(commands: readonly CommandSpec[]): OptionSpec[] {
  const byName = new Map<string, OptionSpec>();
  for (const option of [...GLOBAL_OPTIONS, ...commands.flatMap((command) => command.options)]) if (!byName.has(option.name)) byName.set(option.name, option);
  return [...byName.values()];
}

/**
 * First leniently with every option of the table, to find the command (an option's value is
 * not taken for it) and --help/--version; then strictly with the command's own options.
 */
export function parseCliArgs(argv: string[], commands: readonly CommandSpec[] = COMMANDS): CliArgs {
  const lenient = parseArgs({ args: argv, allowPositionals: true, strict: false, tokens: true, options: parseArgsOptions(everyOption(commands)) });
  const name = lenient.positionals[0];
  const given = lenient.tokens.flatMap((token) => (token.kind === 'option' ? [token] : []));
  const version = given.some((token) => token.name === 'version');
  const help = given.some((token) => token.name === 'help');
  // As `ambari-agent --version` always did, whatever else is on the line; --help asks for no more.
  if (version || (help && name === undefined)) return toCliArgs(name, lenient.positionals.slice(1), {}, { version, help });
  const command = commandNamed(name, commands);
  if (!command) throw new UsageError(name === undefined ? 'no command given' : `unknown command '${name}'`);
  if (help) return toCliArgs(name, lenient.positionals.slice(1), {}, { version, help });

  const own = optionsOf(command);
  const stray = given.find((token) => !own.some((option) => option.name === token.name));
  if (stray) {
    const owners = commands.filter((other) => other.options.some((option) => option.name === stray.name)).map((other) => other.name);
    // An option of another command (`status --json`, `start --server H`) would be ignored silently.
    throw new UsageError(
      owners.length > 0 ? `--${stray.name} is not an option of ${command.name} (it is one of ${owners.join(', ')})` : `Unknown option '${stray.rawName}' (not an option of ${command.name})`,
      { of: command.name },
    );
  }
  let strict;
  try {
    strict = parseArgs({ args: argv, allowPositionals: true, strict: true, options: parseArgsOptions(own) });
  } catch (err) {
    // A value missing (`--home` last) or given to a flag (`--json=1`).
    throw new UsageError((err as Error).message, { of: command.name });
  }
  const values = strict.values as Values;
  // `stop now` or `status --home H extra`: a word the command would ignore is more likely a mistake.
  const extra = strict.positionals.slice(1);
  if (command.args === undefined && extra.length > 0) {
    throw new UsageError(`${command.name} takes no arguments (got '${extra.join(' ')}')`, { of: command.name });
  }
  const home = values.home as string | undefined;
  // `--home "$UNSET"` would otherwise mean the system's paths (/var/run/ambari-agent, ...).
  if (home !== undefined && home.trim() === '') throw new UsageError(`--home '${home}': give the agent home's directory (or leave --home out for the system's paths)`, false);
  const statusPage = values['status-page'] as string | undefined;
  if (statusPage !== undefined && (!/^\d+$/.test(statusPage) || Number(statusPage) > 65535)) {
    throw new UsageError(`--status-page ${statusPage}: not a port number (0-65535; 0 picks a free one)`, false);
  }
  const logFormat = values['log-format'] as string | undefined;
  if (logFormat !== undefined && !isLogFormat(logFormat)) {
    throw new UsageError(`--log-format ${logFormat}: not a log format (${LOG_FORMATS.join(' or ')})`, false);
  }
  return toCliArgs(name, strict.positionals.slice(1), values, { version: false, help: false });
}

function toCliArgs(command: string | undefined, positionals: string[], values: Values, flags: { version: boolean; help: boolean }): CliArgs {
  const text = (name: string) => values[name] as string | undefined;
  const flag = (name: string) => values[name] === true;
  const list = (name: string) => (values[name] as string[] | undefined) ?? [];
  return {
    command,
    positionals,
    home: text('home') ?? '',
    verbose: flag('verbose'),
    expectedHostname: text('expected-hostname'),
    foreground: flag('foreground') || process.env.AMBARI_AGENT_RUN_IN_FOREGROUND === 'true',
    version: flags.version,
    help: flags.help,
    servers: list('server'),
    urlPort: text('url-port'),
    securedUrlPort: text('secured-url-port'),
    set: list('set'),
    ambariVersion: text('ambari-version'),
    force: flag('force'),
    format: text('format'),
    json: flag('json'),
    watch: flag('watch'),
    inspect: flag('inspect'),
    statusPage: text('status-page'),
    logFormat: text('log-format') as LogFormat | undefined,
    options: values,
  };
}
