// Command-line parsing for `ambari-agent` (node's own util.parseArgs: no dependency needed).
import { parseArgs } from 'node:util';

export const USAGE = 'Usage: ambari-agent {start|stop|restart|status|reset <server_hostname>}';
export const USAGE_MORE = `Also: ambari-agent init --home DIR [--server HOST ...] [--url-port N] [--secured-url-port N] [--set section.key=value ...] [--force]
Options: --home DIR (run several agents on one host), --foreground, -v/--verbose, -e/--expected-hostname HOST, --version`;

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
  force: boolean;
}

export class UsageError extends Error {}

export function parseCliArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        home: { type: 'string', default: '' },
        verbose: { type: 'boolean', short: 'v', default: false },
        'expected-hostname': { type: 'string', short: 'e' },
        foreground: { type: 'boolean', default: false },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        server: { type: 'string', multiple: true, default: [] },
        'url-port': { type: 'string' },
        'secured-url-port': { type: 'string' },
        set: { type: 'string', multiple: true, default: [] },
        force: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  return {
    command: positionals[0],
    positionals: positionals.slice(1),
    home: values.home,
    verbose: values.verbose,
    expectedHostname: values['expected-hostname'],
    foreground: values.foreground || process.env.AMBARI_AGENT_RUN_IN_FOREGROUND === 'true',
    version: values.version,
    help: values.help,
    servers: values.server,
    urlPort: values['url-port'],
    securedUrlPort: values['secured-url-port'],
    set: values.set,
    force: values.force,
  };
}

/** The arguments the agent process (and its wrapper) get from `start`. */
export function agentArgs(args: CliArgs): string[] {
  return [
    '--home', args.home,
    ...(args.verbose ? ['--verbose'] : []),
    ...(args.expectedHostname !== undefined ? ['--expected-hostname', args.expectedHostname] : []),
  ];
}
