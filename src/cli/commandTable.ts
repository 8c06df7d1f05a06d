// Every `ambari-agent` command in one table: its name, help, the options it takes and its
// handler. main.ts dispatches from it, args.ts validates from it, helpText.ts and
// bashCompletion.ts print from it: no other list of commands or options exists. Each handler
// imports its command's module when it runs, so that `status` does not load what `machines`
// (xstate and every machine) or `start` needs: each command starts in about half the time.
import { LOG_FORMATS } from '../logging/logFormats.js';
import type { CommandSpec, OptionSpec } from './commandSpec.js';
import { commandContext } from './context.js';
import { completion, COMPLETION_SHELLS } from './commands/completion.js';
import { MACHINE_FORMATS, machineIds, machines } from './commands/machines.js';
import { COMMAND_MODES, DEFAULT_HOSTNAME_PREFIX, DEFAULT_RAMP_PER_SECOND } from '../simulator/simulateOptions.js';

const HOME: OptionSpec = {
  name: 'home',
  value: 'DIR',
  complete: 'dirs',
  description: 'the agent home (DIR/etc/ambari-agent/conf/ambari-agent.ini); without it the system paths (/etc/ambari-agent/conf/...); several homes run side by side',
};

const START_OPTIONS: readonly OptionSpec[] = [
  HOME,
  { name: 'foreground', description: 'run attached, the log on stdout as well, and exit with the agent\'s code (also AMBARI_AGENT_RUN_IN_FOREGROUND=true)' },
  { name: 'verbose', short: 'v', description: 'log at DEBUG' },
  { name: 'expected-hostname', short: 'e', value: 'HOST', description: "refuse to start when the agent's hostname is not HOST" },
  { name: 'inspect', description: 'serve the Stately inspector bridge (as [agent] inspect=1)' },
  { name: 'status-page', value: 'PORT', description: 'serve the local state page on 127.0.0.1:PORT (0 picks a free port; as [agent] status_page_port)' },
  { name: 'log-format', value: LOG_FORMATS.join('|'), complete: LOG_FORMATS, description: "the log's lines as the original's (ambari, the default) or pino's own JSON lines (json)" },
];

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'start',
    original: true,
    summary: 'start the agent (detached) and wait until it is up',
    help: `Starts the agent through its restart-on-77 wrapper, detached, with stdout/stderr in
ambari-agent.out, and returns once the agent holds its pid file and answers on its control
channel and ping port (or has died: then the last lines of the .out). Exit 0 started,
1 bad config, 255 already running or the agent ended before it was up.`,
    options: START_OPTIONS,
    run: async (args) => (await import('./commands/start.js')).start(commandContext(args)),
  },
  {
    name: 'stop',
    original: true,
    summary: 'stop the agent (SIGTERM, then SIGKILL of its tree after 30 s)',
    help: `Sends SIGTERM to the agent, waits up to 30 s, then kills its whole process tree; waits for
the wrapper and removes the pid file. Exit 0 (also when not running), 1 bad config.`,
    options: [HOME],
    run: async (args) => (await import('./commands/stop.js')).stop(commandContext(args)),
  },
  {
    name: 'restart',
    original: true,
    summary: 'stop, then start',
    help: 'Stops the agent (also when it is not running), then starts it as start does. Exit codes as start.',
    options: START_OPTIONS,
    run: async (args) => (await import('./commands/restart.js')).restart(commandContext(args)),
  },
  {
    name: 'status',
    original: true,
    summary: "whether the agent runs, and its state, server and commands",
    help: `Prints the agent's pid, its files and, asked of the running agent, its state, server,
response id and the commands it holds. Exit 0 running, 2 stale pid file, 3 not running,
1 bad config.`,
    options: [HOME],
    run: async (args) => (await import('./commands/status.js')).status(commandContext(args)),
  },
  {
    name: 'reset',
    original: true,
    args: '<server_hostname>',
    summary: "point the home at another server and remove the agent's certificates",
    help: `Rewrites [server] hostname in the ini (comments kept) and empties the keys dir. Refused
while the agent runs. Exit 0, 1.`,
    options: [HOME],
    run: async (args) => (await import('./commands/reset.js')).reset(commandContext(args)),
  },
  {
    name: 'init',
    summary: 'make an agent home: a complete ini and its directories',
    help: `Writes a complete, commented ini whose every path lies under --home DIR, with a free
ping_port, an ambari-env.sh template and the Ambari version to register as, and creates the
directories. Refuses to overwrite an ini without --force. Exit 0, 1.`,
    options: [
      { ...HOME, required: true, description: 'the directory the new agent lives under' },
      { name: 'server', value: 'HOST', multiple: true, description: 'an Ambari server host (more than once, or a comma list; default localhost)' },
      { name: 'url-port', value: 'N', description: "the server's registration port ([server] url_port)" },
      { name: 'secured-url-port', value: 'N', description: "the server's TLS port ([server] secured_url_port)" },
      { name: 'ambari-version', value: 'V', description: 'the Ambari version the agent registers as (written to [agent] prefix/version)' },
      { name: 'set', value: 'section.key=value', multiple: true, description: 'any known ini key, e.g. server.connect_retry_delay=5 (more than once)' },
      { name: 'force', description: 'overwrite an existing ini (a version file is kept unless --ambari-version is given)' },
    ],
    run: async (args) => (await import('./commands/init.js')).init(args),
  },
  {
    name: 'state',
    summary: "the running agent's actor tree",
    help: `Asks the running agent, over its local control channel, for its actor tree: each actor's
state, how long it has been in it, and what matters for it. Exit 0, 2 and 3 as status.`,
    options: [
      HOME,
      { name: 'json', description: 'print the tree as JSON (with --watch: one JSON line per change)' },
      { name: 'watch', description: 'redraw on every transition until Ctrl-C or the agent stops' },
    ],
    run: async (args) => (await import('./commands/state.js')).state(commandContext(args), { json: args.json, watch: args.watch }),
  },
  {
    name: 'machines',
    args: '[MACHINE ...]',
    summary: "the agent's state machines' diagrams, from the code",
    help: `Prints each state machine (or the ones named) as a mermaid diagram, or as one JSON
document with each machine's graph and its XState config. Reads no home. Exit 0, 1.`,
    options: [
      { ...HOME, description: 'accepted and not read: machines needs no home' },
      { name: 'format', value: MACHINE_FORMATS.join('|'), complete: MACHINE_FORMATS, description: 'mermaid (the default) or json' },
    ],
    completeArgs: machineIds,
    run: (args) => machines(args),
  },
  {
    name: 'simulate',
    summary: 'simulate many agent hosts in this one process (a cluster on one machine)',
    help: `Runs --agents N simulated hosts, each the agent's own actor tree with its own hostname,
registration, STOMP connection, heartbeats, caches, commands and component status, against one
server; started --ramp hosts a second, until --duration or Ctrl-C (a second Ctrl-C does not
wait). A progress line goes to stderr, a summary (or --json) to stdout. --etc-hosts prints the
/etc/hosts lines for the names and exits. Reads --home's ini when given (intervals, log dir;
--commands real needs it). Exit 0 when every started host registered and none failed, 1 otherwise.`,
    options: [
      { ...HOME, description: "an agent home whose ini the hosts run with (default: the ini's defaults; nothing is written then)" },
      { name: 'agents', value: 'N', required: true, description: 'how many hosts to simulate' },
      { name: 'server', value: 'HOST', multiple: true, description: "the Ambari server (default: the ini's [server] hostname)" },
      { name: 'url-port', value: 'N', description: "the server's registration port (default: the ini's url_port)" },
      { name: 'secured-url-port', value: 'N', description: "the server's TLS port (default: the ini's secured_url_port)" },
      { name: 'hostname-prefix', value: 'P', description: `the hosts are P-00001, P-00002, ... (default ${DEFAULT_HOSTNAME_PREFIX})` },
      { name: 'start-index', value: 'I', description: 'the first host number (default 1)' },
      { name: 'ramp', value: 'PER_SECOND', description: `hosts started per second (default ${DEFAULT_RAMP_PER_SECOND})` },
      { name: 'duration', value: 'SECONDS', description: 'stop after this long (default: until Ctrl-C)' },
      { name: 'commands', value: COMMAND_MODES.join('|'), complete: COMMAND_MODES, description: "instant: results as Ambari's PERF stack gives them, at once; real: the stack scripts run (needs --home)" },
      { name: 'ambari-version', value: 'V', description: "the version the hosts register as (default: --home's prefix/version, else this package's)" },
      { name: 'json', description: 'print the summary as one JSON document' },
      { name: 'etc-hosts', description: 'print the /etc/hosts lines for the names and exit' },
      { name: 'verbose', short: 'v', description: "log at DEBUG (without --home: every host's log lines on stderr)" },
    ],
    run: async (args) => (await import('./commands/simulate.js')).simulate(args),
  },
  {
    name: 'help',
    args: '[COMMAND]',
    summary: 'the commands, or one command\'s usage and options',
    help: 'Prints the commands with a line each, or COMMAND\'s usage, description and options (as COMMAND --help).',
    options: [],
    completeArgs: () => COMMANDS.map((command) => command.name),
    run: async (args, commands) => (await import('./commands/help.js')).help(args, commands),
  },
  {
    name: 'completion',
    args: COMPLETION_SHELLS.join('|'),
    summary: 'print a shell completion script',
    help: `Prints a bash completion script for ambari-agent's commands and options, e.g.
  ambari-agent completion bash > /etc/bash_completion.d/ambari-agent
or, for this shell only: source <(ambari-agent completion bash)`,
    options: [],
    completeArgs: () => COMPLETION_SHELLS,
    run: completion,
  },
];

export const commandNamed = (name: string | undefined, commands: readonly CommandSpec[] = COMMANDS): CommandSpec | undefined =>
  commands.find((command) => command.name === name);
