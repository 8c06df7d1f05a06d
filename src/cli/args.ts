// Command-line parsing for `ambari-agent` (node's own util.parseArgs: no dependency needed).
import { parseArgs } from 'node:util';
import { isLogFormat, LOG_FORMATS, type LogFormat } from '../logging/logger.js';

export const USAGE = 'Usage: ambari-agent {start|stop|restart|status|reset <server_hostname>}';
export const USAGE_MORE = `Also: ambari-agent init --home DIR [--server HOST ...] [--url-port N] [--secured-url-port N] [--ambari-version V] [--set section.key=value ...] [--force]
      ambari-agent state [--home DIR] [--json] [--watch]   (the running agent's actor tree)
      ambari-agent machines [MACHINE ...] [--format mermaid|json]   (the state machines' diagrams, from the code)
Options: --home DIR (run several agents on one host), --foreground, -v/--verbose, -e/--expected-hostname HOST, --version,
         --inspect (Stately inspector), --status-page PORT (local state page), --log-format ambari|json, for start/restart`;

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
  /** `start --log-format ambari|json`: the log's lines as the original's, or pino's own JSON. */
  logFormat?: LogFormat;
}

export class UsageError extends Error {
  /** `showUsage` false: the message says all there is (one line on stderr, no usage text). */
  constructor(message: string, readonly showUsage = true) {
    super(message);
  }
}

export function parseCliArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: {
        home: { type: 'string' },
        verbose: { type: 'boolean', short: 'v', default: false },
        'expected-hostname': { type: 'string', short: 'e' },
        foreground: { type: 'boolean', default: false },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        server: { type: 'string', multiple: true, default: [] },
        'url-port': { type: 'string' },
        'secured-url-port': { type: 'string' },
        set: { type: 'string', multiple: true, default: [] },
        'ambari-version': { type: 'string' },
        force: { type: 'boolean', default: false },
        format: { type: 'string' },
        json: { type: 'boolean', default: false },
        watch: { type: 'boolean', default: false },
        inspect: { type: 'boolean', default: false },
        'status-page': { type: 'string' },
        'log-format': { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals, tokens } = parsed;
  checkOptionsApply(positionals[0], tokens.flatMap((token) => (token.kind === 'option' ? [token.name] : [])));
  // `--home "$UNSET"` would otherwise mean the system's paths (/var/run/ambari-agent, ...).
  if (values.home !== undefined && values.home.trim() === '') throw new UsageError(`--home '${values.home}': give the agent home's directory (or leave --home out for the system's paths)`, false);
  const statusPage = values['status-page'];
  if (statusPage !== undefined && (!/^\d+$/.test(statusPage) || Number(statusPage) > 65535)) {
    throw new UsageError(`--status-page ${statusPage}: not a port number (0-65535; 0 picks a free one)`, false);
  }
  const logFormat = values['log-format'];
  if (logFormat !== undefined && !isLogFormat(logFormat)) {
    throw new UsageError(`--log-format ${logFormat}: not a log format (${LOG_FORMATS.join(' or ')})`, false);
  }
  return {
    command: positionals[0],
    positionals: positionals.slice(1),
    home: values.home ?? '',
    verbose: values.verbose,
    expectedHostname: values['expected-hostname'],
    foreground: values.foreground || process.env.AMBARI_AGENT_RUN_IN_FOREGROUND === 'true',
    version: values.version,
    help: values.help,
    servers: values.server,
    urlPort: values['url-port'],
    securedUrlPort: values['secured-url-port'],
    set: values.set,
    ambariVersion: values['ambari-version'],
    force: values.force,
    format: values.format,
    json: values.json,
    watch: values.watch,
    inspect: values.inspect,
    statusPage: values['status-page'],
    logFormat,
  };
}

const START_OPTIONS = ['verbose', 'expected-hostname', 'foreground', 'inspect', 'status-page', 'log-format'];
/** The options each command takes besides --home, --help and --version (USAGE_MORE). */
const COMMAND_OPTIONS: Record<string, string[]> = {
  start: START_OPTIONS,
  restart: START_OPTIONS,
  stop: [],
  status: [],
  reset: [],
  state: ['json', 'watch'],
  machines: ['format'],
  init: ['server', 'url-port', 'secured-url-port', 'set', 'ambari-version', 'force'],
};
const EVERY_COMMAND = new Set(['home', 'help', 'version']);

/** An option of another command (`status --json`, `start --server H`) would be ignored silently. */
function checkOptionsApply(command: string | undefined, given: string[]): void {
  const own = command === undefined ? undefined : COMMAND_OPTIONS[command];
  // No command, or an unknown one: dispatch says so.
  if (own === undefined) return;
  const stray = given.find((name) => !EVERY_COMMAND.has(name) && !own.includes(name));
  if (stray === undefined) return;
  const owners = Object.keys(COMMAND_OPTIONS).filter((name) => COMMAND_OPTIONS[name]!.includes(stray));
  throw new UsageError(`--${stray} is not an option of ${command} (it is one of ${owners.join(', ')})`);
}

/** The arguments the agent process (and its wrapper) get from `start`. */
export function agentArgs(args: CliArgs): string[] {
  return [
    '--home', args.home,
    ...(args.verbose ? ['--verbose'] : []),
    ...(args.expectedHostname !== undefined ? ['--expected-hostname', args.expectedHostname] : []),
    ...(args.inspect ? ['--inspect'] : []),
    ...(args.statusPage !== undefined ? ['--status-page', args.statusPage] : []),
    ...(args.logFormat !== undefined ? ['--log-format', args.logFormat] : []),
  ];
}
