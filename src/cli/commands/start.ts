import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MARKER_ENV } from '../../actors/commands/processTree.js';
import { LOG_MODE } from '../../logging/rotatingFile.js';
import type { StatusReply } from '../../actors/local/controlChannel.js';
import { checkPidFile, isAlive, readPid, removePidFile } from '../../actors/local/pidFile.js';
import { MIN_NODE_MAJOR } from '../../actors/local/preflightChecks.js';
import { confDir } from '../../config/loadConfig.js';
import { envFilePath, resolvePassphrase, sourceEnvFile } from '../../config/envFile.js';
import type { CliArgs } from '../args.js';
import { askAgent, ping } from '../controlClient.js';
import { daemonNodeFlags } from '../daemonNodeFlags.js';
import { EXIT, complain, say, type CommandContext } from '../context.js';
import { killTree, lastLines, parentPid, sleep } from '../processes.js';

/** The restart-on-77 wrapper (POSIX sh) and the agent process it runs. */
export const WRAPPER = fileURLToPath(new URL('../../../bin/ambari-agent-wrapper', import.meta.url));
const AGENT_MAIN = fileURLToPath(new URL('../../daemon/main.js', import.meta.url));
/** How long `start` waits for the agent to hold its pid file and ping port. */
export const START_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

export async function start(ctx: CommandContext): Promise<number> {
  const { paths, config, args } = ctx;
  say('Verifying Node.js version compatibility...');
  const major = Number(process.versions.node.split('.')[0]);
  if (major < MIN_NODE_MAJOR) {
    complain(`ERROR: Node.js ${process.versions.node} is too old; ${MIN_NODE_MAJOR} or newer is required`);
    return EXIT.ERROR;
  }

  // First, so that a broken ambari-env.sh stops the start before anything is touched.
  const env = agentEnvironment(ctx);
  const nodeFlags = daemonNodeFlags(env);

  say('Checking for previously running Ambari Agent...');
  const old = checkPidFile(paths.pidFile);
  if (old.kind === 'agent') {
    complain('ERROR: ambari-agent already running');
    complain(`Check ${paths.pidFile} for PID.`);
    return EXIT.START_FAILED;
  }
  if (old.kind === 'dead') say(`${paths.pidFile} found with no process. Removing ${old.pid}...`);
  if (old.kind === 'stranger') say(`${paths.pidFile} names ${old.pid}, which is not this home's agent (${old.what}). Removing ${old.pid}...`);
  if (old.kind !== 'none') removePidFile(paths.pidFile);
  mkdirSync(config.ini.agent.piddir, { recursive: true });
  mkdirSync(config.ini.agent.logdir, { recursive: true });

  say('Starting ambari-agent');
  const wrapperArgs = [WRAPPER, paths.pidFile, process.execPath, ...nodeFlags, AGENT_MAIN, ...agentArgs(args)];
  if (args.foreground) return runInForeground(wrapperArgs, env);

  // Truncated at each start, as the control script's `> $OUTFILE` (the log keeps the history),
  // but written in append mode: two starts at once would otherwise write over each other's
  // lines from offset 0, and the one that failed could not show why.
  const out = openSync(paths.outFile, 'a', LOG_MODE);
  ftruncateSync(out, 0);
  const wrapper = spawn('/bin/sh', wrapperArgs, { detached: true, stdio: ['ignore', out, out], env });
  closeSync(out);
  wrapper.unref();

  say('Verifying ambari-agent process status...');
  const outcome = await waitUntilUp(ctx, wrapper);
  const thisRun = readText(paths.outFile);
  if (outcome.kind !== 'up') {
    if (outcome.kind === 'timeout') {
      complain(`ERROR: ambari-agent did not hold its pid file and ping port within ${START_TIMEOUT_MS / 1000} s; stopping it`);
      if (wrapper.pid !== undefined) await killTree(wrapper.pid, 'SIGKILL');
    }
    complain(`ERROR: ambari-agent start failed. For more details, see ${paths.outFile}:`);
    complain('====================');
    for (const line of lastLines(thisRun, 10)) complain(line);
    complain('====================');
    complain(`Agent out at: ${paths.outFile}`);
    complain(`Agent log at: ${paths.logFile}`);
    return EXIT.START_FAILED;
  }
  for (const line of thisRun.split('\n')) if (line.startsWith('WARNING: ')) say(line);
  say('Ambari Agent successfully started');
  say(`Agent PID: ${outcome.pid}`);
  say(`Agent PID at: ${paths.pidFile}`);
  say(`Agent out at: ${paths.outFile}`);
  say(`Agent log at: ${paths.logFile}`);
  return EXIT.OK;
}

/**
 * The agent's environment: ours with ambari-env.sh sourced by /bin/sh (as the original's
 * control script does; a failing file throws a ConfigError), plus the passphrase. Without a
 * command's run marker: an agent (re)started from inside a command script must not be taken
 * for part of that command's tree when it is killed or recovered.
 */
function agentEnvironment({ config }: CommandContext): NodeJS.ProcessEnv {
  const own: NodeJS.ProcessEnv = { ...process.env };
  delete own[MARKER_ENV];
  const varName = config.ini.security.passphrase_env_var_name;
  const env = sourceEnvFile(envFilePath(confDir(config)), own, undefined, [varName]);
  delete env[MARKER_ENV];
  env[varName] = resolvePassphrase(varName, own, env);
  return env;
}

type Outcome = { kind: 'up'; pid: number } | { kind: 'exited'; code: number | null } | { kind: 'timeout' };

/**
 * Up means: the pid file names a live agent, started by the wrapper we launched (not a
 * concurrent `start`'s), that answers on its control channel and its ping port.
 */
async function waitUntilUp({ paths }: CommandContext, wrapper: ChildProcess): Promise<Outcome> {
  let exited: Outcome | undefined;
  wrapper.on('exit', (code) => (exited = { kind: 'exited', code }));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) return exited;
    const pid = readPid(paths.pidFile);
    if (pid !== undefined && isAlive(pid) && parentPid(pid) === wrapper.pid) {
      try {
        const reply = await askAgent<StatusReply>(paths.controlSocket, { cmd: 'status' }, 1000);
        if (reply.pid === pid && reply.pingPort !== undefined && (await ping(reply.pingPort)) === 'OK') return { kind: 'up', pid };
      } catch {
        // Not answering yet: keep polling.
      }
    }
    await sleep(POLL_MS);
  }
  return exited ?? { kind: 'timeout' };
}

/** --foreground: the wrapper runs attached, logs on stdout, and its exit code is ours. */
function runInForeground(wrapperArgs: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const wrapper = spawn('/bin/sh', [...wrapperArgs, '--foreground'], { stdio: 'inherit', env });
    // Ctrl-C reaches the whole process group; a service manager's SIGTERM reaches only us.
    const onInt = () => {};
    const onTerm = () => wrapper.kill('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    wrapper.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
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

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
