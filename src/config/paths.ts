// File locations derived from the ini, shared by the CLI, the wrapper and the agent process.
import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { AgentIni } from './schema.js';

export interface AgentPaths {
  pidFile: string;
  outFile: string;
  logFile: string;
  /** The alerts log beside it (AmbariConfig.getAlertsLogFile). */
  alertsLogFile: string;
  /** Unix socket of the local control channel (status, state dumps); a deep one is reached as actors/local/socketAddress.ts says. */
  controlSocket: string;
  /** When the agent last restarted itself (actors/local/restartRecord.ts). */
  restartFile: string;
}

export function agentPaths(ini: AgentIni): AgentPaths {
  const piddir = ini.agent.piddir;
  const logdir = ini.agent.logdir;
  return {
    pidFile: join(piddir, 'ambari-agent.pid'),
    outFile: join(logdir, 'ambari-agent.out'),
    logFile: join(logdir, 'ambari-agent.log'),
    alertsLogFile: join(logdir, 'ambari-alerts.log'),
    controlSocket: join(piddir, 'ambari-agent.sock'),
    restartFile: join(piddir, 'ambari-agent.restart'),
  };
}

/**
 * The control script refuses a piddir, logdir or keysdir that is empty or resolves to `/`
 * (`readlink -m`: through symlinks too; `reset` empties the keys dir).
 */
export function checkControlDirs(ini: AgentIni): void {
  for (const [key, dir] of [['[agent] piddir', ini.agent.piddir], ['[agent] logdir', ini.agent.logdir], ['[security] keysdir', ini.security.keysdir]] as const) {
    if (!dir || realOrResolved(dir) === '/') throw new ConfigError(`path ${dir || '""'} not valid: ${key} ${dir ? 'is the root directory' : 'is empty'}`);
  }
  // The data cleaner deletes files below the prefix, and the stack cache replaces folders below
  // the cache dir: neither may be the root directory, named or through a symlink.
  for (const [key, dir] of [['[agent] prefix', ini.agent.prefix], ['[agent] cache_dir', ini.agent.cache_dir], ['[agent] tmp_dir', ini.agent.tmp_dir]] as const) {
    if (!dir || realOrResolved(dir) === '/') throw new ConfigError(`${key} = '${dir}' is the root directory; give the agent a directory of its own`);
  }
  // Directories cannot be made in the kernel's virtual file systems (and Node's recursive mkdir
  // spins forever trying under /proc).
  const dirs = { '[agent] piddir': ini.agent.piddir, '[agent] logdir': ini.agent.logdir, '[security] keysdir': ini.security.keysdir, '[agent] prefix': ini.agent.prefix, '[agent] cache_dir': ini.agent.cache_dir, '[agent] tmp_dir': ini.agent.tmp_dir };
  for (const [key, dir] of Object.entries(dirs)) {
    const virtual = virtualFileSystemOf(dir);
    if (virtual) throw new ConfigError(`${key} = '${dir}' is under ${virtual}, a virtual file system where the agent cannot keep files`);
  }
}

const VIRTUAL_FILE_SYSTEMS = ['/proc', '/sys'];

/** `/proc` or `/sys` when the path (symlinks resolved) lies in one, else undefined. */
export function virtualFileSystemOf(path: string): string | undefined {
  const real = realOrResolved(path);
  return VIRTUAL_FILE_SYSTEMS.find((root) => real === root || real.startsWith(`${root}/`));
}

/** The path with symlinks resolved as far as it exists (the part not made yet taken as written). */
function realOrResolved(path: string): string {
  const full = resolve(path);
  let existing = full;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(existing);
      return rest.length === 0 ? real : join(real, ...rest.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return full;
      rest.push(basename(existing));
      existing = parent;
    }
  }
}
