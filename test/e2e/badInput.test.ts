// Bad input, black-box, one table: each case makes a fresh home, spoils one thing, runs the real
// CLI and checks what README promises: the documented exit code, one line naming the file, key
// or value (a regex per case), never a stack trace, never a hang (a bound; past it the run is
// killed and the case fails), no agent left (processes, ping port, pid file) and nothing made
// outside the home (system paths, `/`, the dir around the home).
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  freshHome, giveToUnprivileged, livePidInPidFile, outsideSnapshot, pingAnswers, processesOf, removeHome, removeRuntimeCopy, runCli, RUNNING_AS_ROOT, rx,
  type Home, type Run,
} from './badInputHarness.js';

const USAGE_FIRST_LINE = 'Usage: ambari-agent {start|stop|restart|status|reset <server_hostname>}';
/** Bound of a command that should end at once (generous: a loaded 2-core machine). */
const QUICK_MS = 20_000;
/** Bound of a start that launches the agent (start waits up to 30 s for it). */
const START_MS = 45_000;

interface BadInput {
  name: string;
  /** How the home starts out; default 'init' (made by `ambari-agent init`). */
  home?: 'init' | 'empty' | 'none';
  /** Spoils the home (as the test's user; an unprivileged case's home is handed over after). */
  setup?: (h: Home) => void;
  /** The CLI arguments; `--home HOME` is added unless `ownArgs`. */
  args: (h: Home) => string[];
  ownArgs?: boolean;
  /** The exit code README documents. */
  exit: number;
  /** The error line, anchored (^...$). */
  error: (h: Home) => RegExp;
  /**
   * 'line': stderr is that one line; 'usage': that line, then the usage text; 'startFailed':
   * start's failure block (the line is among the agent's last .out lines).
   */
  shape?: 'line' | 'usage' | 'startFailed';
  /** Shape 'usage': the command whose usage line follows (default: the general usage). */
  usageOf?: string;
  /** The home's agent is started first: the command must leave it as it was, and start no second one. */
  running?: boolean;
  /** Lines on stderr in shape 'line' (default 1). */
  lines?: number;
  /** Run as an unprivileged user (nobody when the tests run as root). */
  unprivileged?: boolean;
  /** Past it the run is killed and the case fails (default QUICK_MS). */
  boundMs?: number;
  /** Further facts, checked after the common ones. */
  after?: (h: Home, run: Run) => void;
}

/** The same case for each command. */
const forEach = (commands: string[], make: (command: string) => BadInput): BadInput[] => commands.map(make);

const iniError = (key: string, rest: string) => (h: Home) => new RegExp(`^ERROR: ${escape(h.ini)}: ${escape(key)} = ${rest}$`, 'm');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One ini value, set to something bad, checked with `command`. */
const badValue = (section: string, key: string, value: string, rest: string, command = 'start'): BadInput => ({
  name: `[${section}] ${key}=${value} (${command})`,
  setup: (h) => h.set(section, key, value),
  args: () => [command],
  exit: 1,
  error: iniError(`[${section}] ${key}`, `'${escape(value)}' ${rest}`),
});

const nothingCreated = (h: Home) => expect(existsSync(h.home), `${h.home} was created`).toBe(false);

const CASES: BadInput[] = [
  // Values the types allow but that would busy-loop or delete everything (loadConfig LOWER_BOUNDS).
  badValue('server', 'connect_retry_delay', '0', 'is below 1 \\(seconds between connection attempts\\)'),
  badValue('server', 'connect_retry_delay', '-5', 'is below 1 \\(seconds between connection attempts\\)'),
  badValue('server', 'max_reconnect_retry_delay', '0', 'is below 1 \\(seconds\\)'),
  badValue('server', 'reconnect_delay', '0', 'is below 1 \\(seconds before reconnecting\\)'),
  badValue('agent', 'data_cleanup_max_size_MB', '-1', 'is below 0 \\(megabytes of command files kept\\)'),
  badValue('agent', 'data_cleanup_interval', '-1', 'is below 0 \\(seconds; 0 turns the cleaner off\\)'),
  // A delay longer than a Node.js timer holds fires at once: a busy loop too.
  badValue('server', 'connect_retry_delay', '2200000', 'is above 2147483 \\(seconds; the longest timer Node.js holds, about 24.8 days\\)'),
  badValue('agent', 'data_cleanup_interval', '9999999', 'is above 2147483 \\(seconds; the longest timer Node.js holds, about 24.8 days\\)'),
  badValue('server', 'reconnect_delay', '99999999999999999999', 'is not a whole number within ±9007199254740991'),
  // No server to connect to (discovery tried a host named "undefined").
  badValue('server', 'hostname', '', 'names no server \\(a comma list of Ambari server hosts\\)'),
  // Values of the wrong type.
  badValue('server', 'url_port', 'abc', 'is not a valid port number \\(0-65535\\)'),
  badValue('server', 'url_port', 'abc', 'is not a valid port number \\(0-65535\\)', 'status'),
  badValue('agent', 'ping_port', '70000', 'is not a valid port number \\(0-65535\\)'),
  badValue('server', 'connect_retry_delay', 'soon', 'is not a whole number'),
  badValue('security', 'ssl_verify_cert', 'yes', 'is not a whole number', 'status'),
  badValue('agent', 'tolerate_download_failures', 'maybe', 'is not a boolean \\(true/false, 1/0, yes/no, on/off\\)'),

  // Ini syntax.
  ...forEach(['start', 'status', 'stop', 'restart', 'state'], (command) => ({
    name: `a broken section header (${command})`,
    setup: (h: Home) => h.write(h.ini, readFileSync(h.ini, 'utf8').replace(/^\[server\]$/m, '[server')),
    args: () => [command],
    exit: 1,
    error: (h: Home) => rx`^ERROR: ${h.ini} line ${lineOf(h.ini, '[server')}: malformed section header '\[server' \(expected \[name\]\)$`,
  })),
  {
    name: 'a key before any [section]',
    setup: (h) => h.write(h.ini, `stray=1\n${readFileSync(h.ini, 'utf8')}`),
    args: () => ['start'],
    exit: 1,
    error: (h) => rx`^ERROR: ${h.ini} line 1: key 'stray' appears before any \[section\] header$`,
  },
  {
    name: 'a line that is not key=value',
    setup: (h) => h.write(h.ini, readFileSync(h.ini, 'utf8').replace(/^\[agent\]$/m, '[agent]\njust some words')),
    args: () => ['start'],
    exit: 1,
    error: (h) => rx`^ERROR: ${h.ini} line ${lineOf(h.ini, 'just some words')}: cannot parse 'just some words' \(expected \[section\], key=value or a # comment\)$`,
  },
  {
    name: 'indented text that continues no key',
    setup: (h) => h.write(h.ini, `  continued\n${readFileSync(h.ini, 'utf8')}`),
    args: () => ['status'],
    exit: 1,
    error: (h) => rx`^ERROR: ${h.ini} line 1: indented text 'continued' continues no key$`,
  },

  // The ini file itself.
  {
    name: 'an ini the user cannot read',
    setup: (h) => chmodSync(h.ini, 0o000),
    unprivileged: true,
    args: () => ['start'],
    exit: 1,
    error: (h) => rx`^ERROR: cannot read ${h.ini}: EACCES: permission denied, open '${h.ini}'$`,
  },
  {
    name: 'an ini that is a directory',
    home: 'empty',
    setup: (h) => h.dir(h.ini),
    args: () => ['status'],
    exit: 1,
    error: (h) => rx`^ERROR: cannot read ${h.ini}: EISDIR: illegal operation on a directory, read$`,
  },
  ...forEach(['start', 'status', 'stop', 'restart', 'state', 'reset'], (command) => ({
    name: `--home without an ini (${command})`,
    home: 'empty' as const,
    args: () => (command === 'reset' ? ['reset', 'server.example.test'] : [command]),
    exit: 1,
    error: (h: Home) => rx`^ERROR: no ini at ${h.ini}: ${h.home} is not an agent home \(make one with: ambari-agent init --home ${h.home}\)$`,
    after: (h: Home) => expect(readdirSync(h.home)).toEqual([]),
  })),
  {
    name: '--home that is a regular file',
    home: 'none',
    setup: (h) => h.write(h.home, 'not a directory\n'),
    args: () => ['start'],
    exit: 1,
    error: (h) => rx`^ERROR: no ini at ${h.ini}: ${h.home} is not an agent home`,
  },

  // ambari-env.sh, sourced by /bin/sh at start.
  ...forEach(['start', 'restart'], (command) => ({
    name: `ambari-env.sh fails (${command})`,
    setup: (h: Home) => h.write(h.envFile, 'export A=1\nno_such_command_in_env_file\nreturn 2\n'),
    args: () => [command],
    exit: 1,
    error: (h: Home) => rx`^ERROR: ${h.envFile} failed when sourced by /bin/sh \(exit code 2\): .*no_such_command_in_env_file.*$`,
  })),
  {
    name: 'ambari-env.sh with a syntax error',
    setup: (h) => h.write(h.envFile, 'if then\n'),
    args: () => ['start'],
    exit: 1,
    error: (h) => rx`^ERROR: ${h.envFile} failed when sourced by /bin/sh \(exit code 2\): .*Syntax error.*$`,
  },
  {
    name: 'ambari-env.sh that calls exit',
    setup: (h) => h.write(h.envFile, 'export A=1\nexit 0\n'),
    args: () => ['start'],
    exit: 1,
    error: (h) => rx`^ERROR: ${h.envFile} ended the shell that sourced it before the environment could be read \(does it call exit\?\)$`,
  },
  {
    name: 'AMBARI_AGENT_NODE_FLAGS in ambari-env.sh that is not a list of --flags',
    setup: (h) => h.write(h.envFile, 'export AMBARI_AGENT_NODE_FLAGS="--max-old-space-size 256"\n'),
    args: () => ['start'],
    exit: 1,
    error: () => rx`^ERROR: AMBARI_AGENT_NODE_FLAGS: "256" is not a Node.js flag of the form --name or --name=value$`,
  },
  {
    // A command that never ends (its command line names the parent dir: a leftover would show).
    name: 'ambari-env.sh that never finishes (the 10 s timeout; what it started ends too)',
    setup: (h) => {
      const script = h.write('never-ends.mjs', 'setTimeout(() => {}, 600_000);\n');
      h.write(h.envFile, `"${process.execPath}" "${script}"\n`);
    },
    args: () => ['start'],
    exit: 1,
    boundMs: START_MS,
    error: (h) => rx`^ERROR: ${h.envFile} did not finish within 10 s when sourced by /bin/sh$`,
  },

  // Directories that must not be the root directory (named or through a symlink). `status`
  // only: a check that gave way must not let a case write to / or clean it.
  ...([
    ['agent', 'prefix', '[agent] prefix'],
    ['agent', 'cache_dir', '[agent] cache_dir'],
    ['agent', 'tmp_dir', '[agent] tmp_dir'],
  ] as const).flatMap(([section, key, label]) => forEach(['/', 'a symlink to /'], (what) => ({
    name: `${label} is ${what}`,
    setup: (h: Home) => {
      if (what !== '/') symlinkSync('/', join(h.parent, 'root-link'));
      h.set(section, key, what === '/' ? '/' : join(h.parent, 'root-link'));
    },
    args: () => ['status'],
    exit: 1,
    error: (h: Home) => rx`^ERROR: ${label} = '${what === '/' ? '/' : join(h.parent, 'root-link')}' is the root directory; give the agent a directory of its own$`,
  }))),
  ...([
    ['agent', 'piddir', '[agent] piddir'],
    ['agent', 'logdir', '[agent] logdir'],
    ['security', 'keysdir', '[security] keysdir'],
  ] as const).flatMap(([section, key, label]) => forEach(['/', 'a symlink to /'], (what) => ({
    name: `${label} is ${what}`,
    setup: (h: Home) => {
      if (what !== '/') symlinkSync('/', join(h.parent, 'root-link'));
      h.set(section, key, what === '/' ? '/' : join(h.parent, 'root-link'));
    },
    args: () => ['status'],
    exit: 1,
    error: (h: Home) => rx`^ERROR: path ${what === '/' ? '/' : join(h.parent, 'root-link')} not valid: ${label} is the root directory$`,
  }))),
  {
    name: '[agent] piddir is empty',
    setup: (h) => h.set('agent', 'piddir', ''),
    args: () => ['status'],
    exit: 1,
    error: () => rx`^ERROR: path "" not valid: \[agent\] piddir is empty$`,
  },

  // Directories that are not what they should be.
  {
    name: 'piddir under a regular file',
    setup: (h) => {
      h.write('a-file', 'not a directory\n');
      h.set('agent', 'piddir', join(h.parent, 'a-file/run'));
    },
    args: () => ['start'],
    exit: 1,
    error: (h) => rx`^ERROR: cannot open ${join(h.parent, 'a-file/run/ambari-agent.pid')}: ENOTDIR \(a part of the path is a file, not a directory\); check the paths in the ini$`,
  },
  {
    name: 'logdir that is a regular file',
    setup: (h) => {
      h.write('a-file', 'not a directory\n');
      h.set('agent', 'logdir', join(h.parent, 'a-file'));
    },
    args: () => ['start'],
    exit: 1,
    error: (h) => rx`^ERROR: cannot mkdir ${join(h.parent, 'a-file')}: EEXIST \(it exists and is not a directory\); check the paths in the ini$`,
  },
  ...forEach(['start', 'status', 'stop', 'state'], (command) => ({
    name: `the pid file is a directory (${command})`,
    setup: (h: Home) => h.dir(h.pidFile),
    args: () => [command],
    exit: 1,
    error: (h: Home) => rx`^ERROR: cannot read ${h.pidFile}: EISDIR \(it is a directory\); check the paths in the ini$`,
  })),
  {
    name: 'the .out file is a directory',
    setup: (h) => h.dir(join(h.logdir, 'ambari-agent.out')),
    args: () => ['start'],
    exit: 1,
    error: (h) => rx`^ERROR: cannot open ${join(h.logdir, 'ambari-agent.out')}: EISDIR \(it is a directory\); check the paths in the ini$`,
  },
  {
    name: 'the log file is a directory (the agent cannot log)',
    setup: (h) => h.dir(join(h.logdir, 'ambari-agent.log')),
    args: () => ['start'],
    exit: 255,
    shape: 'startFailed',
    boundMs: START_MS,
    error: (h) => rx`^ERROR: cannot open log file ${join(h.logdir, 'ambari-agent.log')}: EISDIR: illegal operation on a directory, open '${join(h.logdir, 'ambari-agent.log')}'$`,
  },
  ...([
    ['agent', 'piddir', '[agent] piddir', '/proc/aa-badinput-test/run', '/proc'],
    ['agent', 'piddir', '[agent] piddir', '/sys/aa-badinput-test/run', '/sys'],
    ['agent', 'logdir', '[agent] logdir', '/proc/self/aa-badinput-test', '/proc'],
    ['agent', 'cache_dir', '[agent] cache_dir', '/sys/aa-badinput-test', '/sys'],
  ] as const).map(([section, key, label, value, fs]) => ({
    name: `${label} under ${fs} (Node's mkdir spins there)`,
    setup: (h: Home) => h.set(section, key, value),
    args: () => ['start'],
    exit: 1,
    error: () => rx`^ERROR: ${label} = '${value}' is under ${fs}, a virtual file system where the agent cannot keep files$`,
  })),

  // Directories the (unprivileged) user cannot write: 0500, its own.
  {
    name: "piddir's parent not writable (start makes piddir)",
    unprivileged: true,
    setup: (h) => {
      h.dir('read-only', 0o500);
      h.set('agent', 'piddir', join(h.parent, 'read-only/run'));
    },
    args: () => ['start'],
    exit: 1,
    error: (h) => rx`^ERROR: cannot mkdir ${join(h.parent, 'read-only/run')}: EACCES \(permission denied\); check the paths in the ini$`,
  },
  {
    name: 'logdir not writable (start opens the .out file)',
    unprivileged: true,
    setup: (h) => {
      h.dir('read-only', 0o500);
      h.set('agent', 'logdir', join(h.parent, 'read-only'));
    },
    args: () => ['start'],
    exit: 1,
    error: (h) => rx`^ERROR: cannot open ${join(h.parent, 'read-only/ambari-agent.out')}: EACCES \(permission denied\); check the paths in the ini$`,
  },
  {
    name: 'piddir not writable (the agent refuses at preflight)',
    unprivileged: true,
    setup: (h) => {
      h.dir('read-only', 0o500);
      h.set('agent', 'piddir', join(h.parent, 'read-only'));
    },
    args: () => ['start'],
    exit: 255,
    shape: 'startFailed',
    boundMs: START_MS,
    error: (h) => rx`^ERROR: \[agent\] piddir ${join(h.parent, 'read-only')} is not writable: EACCES$`,
  },
  {
    name: 'tmp_dir not writable (the agent refuses at preflight)',
    unprivileged: true,
    setup: (h) => {
      h.dir('read-only', 0o500);
      h.set('agent', 'tmp_dir', join(h.parent, 'read-only'));
    },
    args: () => ['start'],
    exit: 255,
    shape: 'startFailed',
    boundMs: START_MS,
    error: (h) => rx`^ERROR: \[agent\] tmp_dir ${join(h.parent, 'read-only')} is not writable: EACCES$`,
  },

  {
    name: 'prefix under a regular file (the agent cannot read its report store)',
    setup: (h) => {
      h.write('a-file', 'not a directory\n');
      h.set('agent', 'prefix', join(h.parent, 'a-file/data'));
    },
    args: () => ['start'],
    exit: 255,
    shape: 'startFailed',
    boundMs: START_MS,
    error: (h) => rx`^ERROR: cannot open ${join(h.parent, 'a-file/data/pending-reports.json')}: ENOTDIR \(a part of the path is a file, not a directory\); check the paths in the ini$`,
  },
  {
    name: 'prefix missing',
    setup: (h) => h.set('agent', 'prefix', join(h.parent, 'no-such-dir')),
    args: () => ['start'],
    exit: 255,
    shape: 'startFailed',
    boundMs: START_MS,
    error: (h) => rx`^ERROR: Ambari prefix dir ${join(h.parent, 'no-such-dir')} does not exists, can't continue$`,
  },

  // The Ambari version file (prefix/version).
  {
    name: 'prefix/version missing',
    setup: (h) => rmSync(join(h.prefix, 'version')),
    args: () => ['start'],
    exit: 255,
    shape: 'startFailed',
    boundMs: START_MS,
    error: (h) => rx`^ERROR: Cannot read the Ambari version from ${join(h.prefix, 'version')} \(ENOENT\); write the Ambari server's version into it`,
  },
  {
    name: 'prefix/version that is no version',
    setup: (h) => h.write(join(h.prefix, 'version'), 'two point eight\n'),
    args: () => ['start'],
    exit: 255,
    shape: 'startFailed',
    boundMs: START_MS,
    error: (h) => rx`^ERROR: ${join(h.prefix, 'version')}: 'two point eight' is not an Ambari version \(digits and dots, e.g. 2.8.0.0\); write the Ambari server's version into it$`,
  },

  // A running agent: refused, and left alone.
  {
    name: 'start of a home whose agent runs',
    running: true,
    args: () => ['start'],
    exit: 255,
    lines: 2,
    error: () => /^ERROR: ambari-agent already running$/m,
    after: (h, run) => expect(run.stderr).toContain(`Check ${h.pidFile} for PID.`),
  },
  {
    name: 'reset of a home whose agent runs',
    running: true,
    args: () => ['reset', 'other.example.test'],
    exit: 1,
    error: () => /^ambari-agent is running\. You must stop it before using reset\.$/m,
    after: (h) => expect(readFileSync(h.ini, 'utf8')).toMatch(/^hostname=127\.0\.0\.1$/m),
  },

  // The command line.
  { name: 'an unknown command', home: 'none', ownArgs: true, args: () => ['frobnicate'], exit: 1, shape: 'usage', error: () => /^ambari-agent: unknown command 'frobnicate'$/m },
  { name: 'no command', home: 'none', ownArgs: true, args: () => [], exit: 1, shape: 'usage', error: () => /^ambari-agent: no command given$/m },
  { name: 'an unknown option', args: () => ['status', '--no-such-option'], exit: 1, shape: 'usage', usageOf: 'status', error: () => /^ambari-agent: Unknown option '--no-such-option'.*$/m },
  // An option of another command would be ignored silently.
  { name: 'status --json (an option of state)', args: () => ['status', '--json'], exit: 1, shape: 'usage', usageOf: 'status', error: () => rx`^ambari-agent: --json is not an option of status \(it is one of state, simulate\)$` },
  { name: 'start --server (an option of init)', args: () => ['start', '--server', 'other.example.test'], exit: 1, shape: 'usage', usageOf: 'start', error: () => rx`^ambari-agent: --server is not an option of start \(it is one of init, simulate\)$` },
  { name: 'stop -v (an option of start)', args: () => ['stop', '-v'], exit: 1, shape: 'usage', usageOf: 'stop', error: () => rx`^ambari-agent: --verbose is not an option of stop \(it is one of start, restart, simulate\)$` },
  { name: 'machines --force (an option of init)', home: 'none', ownArgs: true, args: () => ['machines', '--force', '--json', '--watch'], exit: 1, shape: 'usage', usageOf: 'machines', error: () => rx`^ambari-agent: --force is not an option of machines \(it is one of init\)$` },
  { name: 'stop now (a word after a command that takes none)', args: () => ['stop', 'now'], exit: 1, shape: 'usage', usageOf: 'stop', error: () => rx`^ambari-agent: stop takes no arguments \(got 'now'\)$` },
  { name: '--home without its value', home: 'none', ownArgs: true, args: () => ['start', '--home'], exit: 1, shape: 'usage', usageOf: 'start', error: () => /^ambari-agent: Option '--home <value>' argument missing$/m },
  ...forEach(['start', 'status', 'init'], (command) => ({
    // `--home "$UNSET"`: without the refusal it would mean the system's paths. Unprivileged, so
    // that a refusal that gave way cannot make /var/run/ambari-agent or start a system agent.
    name: `--home '' (${command})`,
    home: 'none' as const,
    unprivileged: true,
    ownArgs: true,
    args: () => [command, '--home', ''],
    exit: 1,
    error: () => rx`^ambari-agent: --home '': give the agent home's directory \(or leave --home out for the system's paths\)$`,
  })),
  { name: 'a bad --status-page port', args: () => ['start', '--status-page', '99999'], exit: 1, error: () => rx`^ambari-agent: --status-page 99999: not a port number \(0-65535; 0 picks a free one\)$` },
  { name: 'machines --format xml', home: 'none', ownArgs: true, args: () => ['machines', '--format', 'xml'], exit: 1, error: () => rx`^ambari-agent: --format must be one of mermaid, json, not 'xml'$` },
  { name: 'machines of an unknown machine', home: 'none', ownArgs: true, args: () => ['machines', 'nosuch'], exit: 1, error: () => rx`^ambari-agent: no machine 'nosuch' \(machines: .*\)$` },
  { name: "reset ''", args: () => ['reset', ''], exit: 1, error: () => rx`^You must supply the hostname of the Ambari Server with the restore option. \(e.g. ambari-agent reset c6401.ambari.apache.org\)$`, after: (h) => expect(readFileSync(h.ini, 'utf8')).toMatch(/^hostname=127\.0\.0\.1$/m) },
  { name: 'reset without a server host', args: () => ['reset'], exit: 1, error: () => rx`^You must supply the hostname of the Ambari Server with the restore option. \(e.g. ambari-agent reset c6401.ambari.apache.org\)$` },

  // init.
  { name: 'init without --home', home: 'none', ownArgs: true, args: () => ['init'], exit: 1, error: () => rx`^ERROR: init needs --home DIR \(the directory the new agent lives under\)$` },
  {
    name: 'init over an existing home without --force',
    args: () => ['init'],
    exit: 1,
    error: (h) => rx`^ERROR: ${h.ini} already exists; use --force to overwrite it$`,
  },
  { name: 'init --set of an unknown key', home: 'none', args: () => ['init', '--set', 'agent.no_such_key=1'], exit: 1, error: () => rx`^ERROR: --set 'agent.no_such_key=1': expected section.key=value with a known key \(e.g. server.connect_retry_delay=5\)$`, after: nothingCreated },
  { name: 'init --set of a bad value', home: 'none', args: () => ['init', '--set', 'server.connect_retry_delay=0'], exit: 1, error: (h) => rx`^ERROR: ${h.ini}: \[server\] connect_retry_delay = '0' is below 1 \(seconds between connection attempts\)$`, after: nothingCreated },
  { name: "init --server ''", home: 'none', args: () => ['init', '--server', ''], exit: 1, error: (h) => rx`^ERROR: ${h.ini}: \[server\] hostname = '' names no server \(a comma list of Ambari server hosts\)$`, after: nothingCreated },
  { name: 'init --url-port that is no port', home: 'none', args: () => ['init', '--url-port', '99999'], exit: 1, error: () => rx`^ERROR: --url-port '99999' is not a valid port number \(0-65535\)$`, after: nothingCreated },
  { name: 'init --ambari-version that is no version', home: 'none', args: () => ['init', '--ambari-version', 'two point eight'], exit: 1, error: () => rx`^ERROR: --ambari-version 'two point eight' is not an Ambari version \(digits and dots, e.g. 2.8.0.0\)$`, after: nothingCreated },
  {
    name: 'init --home under a regular file',
    home: 'none',
    setup: (h) => h.write('a-file', 'not a directory\n'),
    ownArgs: true,
    args: (h) => ['init', '--home', join(h.parent, 'a-file/home')],
    exit: 1,
    error: (h) => rx`^ERROR: cannot mkdir ${join(h.parent, 'a-file/home/etc/ambari-agent/conf')}: ENOTDIR \(a part of the path is a file, not a directory\); check the paths in the ini$`,
  },
  {
    name: 'init --home under /proc (Node mkdir spins there)',
    home: 'none',
    ownArgs: true,
    args: () => ['init', '--home', '/proc/aa-badinput-test'],
    exit: 1,
    error: () => rx`^ERROR: --home /proc/aa-badinput-test is under /proc, a virtual file system where the agent cannot keep files$`,
  },
  {
    name: 'init --set agent.piddir under /proc',
    home: 'none',
    args: () => ['init', '--set', 'agent.piddir=/proc/aa-badinput-test'],
    exit: 1,
    error: () => rx`^ERROR: \[agent\] piddir = '/proc/aa-badinput-test' is under /proc, a virtual file system where the agent cannot keep files$`,
    after: nothingCreated,
  },
  {
    // Unprivileged: a check that gave way could not write prefix/version into /.
    name: 'init --set agent.prefix=/',
    home: 'none',
    unprivileged: true,
    args: () => ['init', '--set', 'agent.prefix=/'],
    exit: 1,
    error: () => rx`^ERROR: \[agent\] prefix = '/' is the root directory; give the agent a directory of its own$`,
    after: nothingCreated,
  },
];

/** 1-based number of the first line of `file` that is exactly `text`. */
function lineOf(file: string, text: string): string {
  return String(readFileSync(file, 'utf8').split('\n').indexOf(text) + 1);
}

let current: Home | undefined;
afterAll(removeRuntimeCopy);

afterEach(async () => {
  if (current) await removeHome(current);
  current = undefined;
});

describe('bad input: one line, the documented exit code, nothing left behind', () => {
  it('has one case per name', () => {
    const names = CASES.map((c) => c.name);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const h = (current = await freshHome(c.home ?? 'init'));
    c.setup?.(h);
    // As root the case runs as nobody, in nobody's own files; otherwise as this user, in its own.
    if (c.unprivileged && RUNNING_AS_ROOT) giveToUnprivileged(h);
    expect(processesOf(h)).toEqual([]);
    let agent: { processes: number[]; pid: number | undefined } = { processes: [], pid: undefined };
    if (c.running) {
      const up = await runCli(['start', '--home', h.home], { cwd: h.parent, boundMs: START_MS });
      expect(up.code, up.output).toBe(0);
      agent = { processes: processesOf(h).sort(), pid: livePidInPidFile(h) };
      expect(agent.pid, up.output).toBeDefined();
    }
    const before = outsideSnapshot(h);
    const pidFileBefore = existsSync(h.pidFile);

    const args = c.ownArgs ? c.args(h) : [...c.args(h), '--home', h.home];
    const run = await runCli(args, { cwd: h.parent, boundMs: c.boundMs ?? QUICK_MS, unprivileged: c.unprivileged });
    const told = `ambari-agent ${args.join(' ')}\n${run.output}`;

    expect(run.timedOut, `hung (killed after its bound): ${told}`).toBe(false);
    expect(run.code, told).toBe(c.exit);
    expect(run.output, told).not.toMatch(/\n\s+at /);
    expect(run.output, told).not.toContain('node:internal');
    const error = c.error(h);
    const stderr = run.stderr.split('\n').filter((line) => line.trim() !== '');
    switch (c.shape ?? 'line') {
      case 'line':
        expect(stderr, told).toHaveLength(c.lines ?? 1);
        expect(stderr[0], told).toMatch(error);
        break;
      case 'usage':
        expect(stderr[0], told).toMatch(error);
        if (c.usageOf === undefined) {
          expect(stderr[1], told).toBe(USAGE_FIRST_LINE);
        } else {
          // The command's own usage line, and nothing more.
          expect(stderr[1], told).toMatch(new RegExp(`^Usage: ambari-agent ${c.usageOf}( |$)`));
          expect(stderr, told).toHaveLength(2);
        }
        break;
      case 'startFailed': {
        expect(run.stderr, told).toMatch(/^ERROR: ambari-agent start failed\. For more details, see .*ambari-agent\.out:$/m);
        const block = /^====================\n([\s\S]*?)^====================$/m.exec(run.stderr)?.[1] ?? '';
        expect(block, told).toMatch(error);
        break;
      }
    }

    // No agent (or only the one that ran before): the home's processes, its ping port, its pid file.
    expect(processesOf(h).sort(), told).toEqual(agent.processes);
    expect(await pingAnswers(h), told).toBe(c.running === true);
    expect(livePidInPidFile(h), told).toBe(agent.pid);
    expect(existsSync(h.pidFile), told).toBe(pidFileBefore);
    // Nothing made outside the home.
    expect(outsideSnapshot(h), told).toEqual(before);
    c.after?.(h, run);
  });
});

describe('bad input: two starts at once', () => {
  it('one agent runs; the other start fails with 255 naming it, and leaves nothing of its own', async () => {
    const h = (current = await freshHome('init'));
    const before = outsideSnapshot(h);
    const runs = await Promise.all([0, 1].map(() => runCli(['start', '--home', h.home], { cwd: h.parent, boundMs: START_MS })));
    const told = runs.map((run) => run.output).join('\n----\n');
    expect(runs.map((run) => run.code).sort(), told).toEqual([0, 255]);
    const failed = runs.find((run) => run.code === 255)!;
    // Refused by the CLI, by the second agent's pid file check, or at its ping port lock.
    expect(failed.stderr, told).toMatch(/^ERROR: (ambari-agent already running|.*ambari-agent\.pid already exists \(agent pid \d+ is running\), exiting|Failed to start ping port listener of: Could not open port \d+ because port already used by another process.*)$/m);
    expect(failed.output, told).not.toMatch(/\n\s+at /);
    const pid = Number(/^Agent PID: (\d+)$/m.exec(runs.find((run) => run.code === 0)!.stdout)?.[1]);
    expect(livePidInPidFile(h), told).toBe(pid);
    // The agent and its wrapper, nothing else.
    const processes = processesOf(h);
    expect(processes.length, told).toBe(2);
    expect(processes, told).toContain(pid);
    expect(await pingAnswers(h)).toBe(true);
    expect(outsideSnapshot(h)).toEqual(before);
  });
});
