// ambari-env.sh beside the ini. The original's control script (ambari-agent/conf/unix/ambari-agent)
// sources it with the shell before it starts the agent, so lines such as
// `export PYTHONPATH=/usr/lib/ambari-agent/lib:$PYTHONPATH` work; `start` does the same:
// /bin/sh sources the file and then prints the resulting environment, which the agent gets.
import { spawnSync, type SpawnSyncOptionsWithStringEncoding } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.js';

/** How long sourcing the file may take. */
export const ENV_FILE_TIMEOUT_MS = 10_000;

// The shell's environment at the end is printed by env(1), NUL-separated (a value may hold
// newlines), by its absolute path: the file may change PATH. (It was a second Node.js start,
// about 80 ms of every `start`.) The file is $0, so that it sees no positional parameters.
// Variables named in __aa_export (e.g. the stock file's unexported AMBARI_PASSPHRASE="DEV")
// are exported when the file set them, so that they are printed too.
const SOURCE_AND_PRINT =
  '. "$0" >&2 || exit; ' +
  'for __aa_v in $__aa_export; do eval "if [ -n \\"\\${$__aa_v+set}\\" ]; then export $__aa_v; fi"; done; ' +
  'exec /usr/bin/env -0';

export function envFilePath(confDirectory: string): string {
  return join(confDirectory, 'ambari-env.sh');
}

/**
 * `base` with the file sourced by /bin/sh (a copy of `base` when the file does not exist, as
 * the control script's `[ -a FILE ]`). A file that fails (non-zero exit, a signal, the
 * timeout, no environment printed) is a ConfigError naming it, with the shell's stderr.
 */
export function sourceEnvFile(file: string, base: NodeJS.ProcessEnv = process.env, timeoutMs = ENV_FILE_TIMEOUT_MS, alsoRead: string[] = []): NodeJS.ProcessEnv {
  if (!existsSync(file)) return { ...base };
  const path = resolve(file);
  const names = alsoRead.filter((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
  const options: SpawnSyncOptionsWithStringEncoding & { detached: boolean } = {
    env: { ...base, __aa_export: names.join(' ') },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    // Its own process group, so that what the file started in the foreground ends with it
    // (spawnSync honours `detached` as spawn does; its type leaves it out).
    detached: true,
  };
  const result = spawnSync('/bin/sh', ['-c', SOURCE_AND_PRINT, path], options);
  if (result.error || result.signal) killGroup(result.pid);
  const stderr = oneLine(result.stderr ?? '');
  const said = stderr === '' ? '' : `: ${stderr}`;
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    throw new ConfigError(`${path} did not finish within ${timeoutMs / 1000} s when sourced by /bin/sh${said}`);
  }
  if (result.error) throw new ConfigError(`cannot source ${path} with /bin/sh: ${result.error.message}`);
  if (result.signal) throw new ConfigError(`${path} failed when sourced by /bin/sh (killed by ${result.signal})${said}`);
  if (result.status !== 0) throw new ConfigError(`${path} failed when sourced by /bin/sh (exit code ${result.status})${said}`);
  // env(1) always prints something (__aa_export at least): nothing means the file ended the
  // shell before it got there.
  if (result.stdout === '') {
    throw new ConfigError(`${path} ended the shell that sourced it before the environment could be read (does it call exit?)${said}`);
  }
  const sourced = parseEnvList(result.stdout);
  delete sourced.__aa_export;
  return sourced;
}

/** env -0's output: NAME=value entries, each ended by a NUL; the value is all after the first '='. */
export function parseEnvList(text: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** The shell was killed (the timeout): so is whatever it waited for (a `sleep`, a hung command). */
function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // nothing of the group is left
  }
}

function oneLine(text: string): string {
  const joined = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' | ');
  return joined.length > 500 ? `${joined.slice(0, 500)}...` : joined;
}

/**
 * AMBARI_PASSPHRASE (or the configured variable) as the control script resolves it: the
 * caller's environment first, then what ambari-env.sh set (exported or not), else "DEV"; an
 * empty value counts as unset.
 */
export function resolvePassphrase(varName: string, caller: NodeJS.ProcessEnv, sourced: NodeJS.ProcessEnv = {}): string {
  for (const value of [caller[varName], sourced[varName]]) if (value !== undefined && value !== '') return value;
  return 'DEV';
}
