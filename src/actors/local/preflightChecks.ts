// The prestart checks behind the preflight machine's `runCheck` actor. Each check throws an
// Error whose message is what the operator reads, naming the file, directory or value at fault.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { fromPromise } from 'xstate';
import type { PreflightCheck } from '../../machines/preflight.js';
import { ambariVersionFile, readAmbariVersionSync } from '../link/ambariVersion.js';
import { agentHostname } from '../host/hostname.js';
import { checkPidFile } from './pidFile.js';
import type { LogFn } from '../../logging/logger.js';

export const MIN_NODE_MAJOR = 20;

export interface PreflightSettings {
  expectedHostname?: string;
  hostnameScript?: string;
  pidFile: string;
  prefixDir: string;
  logDir: string;
  pidDir: string;
  /** [agent] tmp_dir: checked when it exists (a command run creates it when missing). */
  tmpDir?: string;
  log: LogFn;
  /** Told the hostname the check settled on, so registration uses the same one. */
  onHostname?: (hostname: string) => void;
}

export function createRunCheck(settings: PreflightSettings) {
  const checks: Record<PreflightCheck, (actorId: string, signal: AbortSignal) => Promise<void> | void> = {
    runtime: () => {
      const major = Number(process.versions.node.split('.')[0]);
      if (major < MIN_NODE_MAJOR) throw new Error(`Node.js ${process.versions.node} is too old; ${MIN_NODE_MAJOR} or newer is required`);
    },
    hostname: async (actorId, signal) => {
      const { hostname, scriptProblem } = await agentHostname(settings.hostnameScript, signal);
      if (scriptProblem) settings.log(actorId, 'warn', scriptProblem);
      settings.log(actorId, 'info', `Agent hostname: ${hostname}`);
      settings.onHostname?.(hostname);
      if (settings.expectedHostname !== undefined && settings.expectedHostname.toLowerCase() !== hostname) {
        settings.log(actorId, 'error', `Expected hostname ${settings.expectedHostname} but this agent's hostname is ${hostname}`);
        throw new Error('Determined hostname does not match expected. Please check agent log for details');
      }
    },
    pidFile: (actorId) => {
      const state = checkPidFile(settings.pidFile);
      if (state.kind === 'none' || state.pid === process.pid) return;
      if (state.kind === 'agent') throw new Error(`${settings.pidFile} already exists (agent pid ${state.pid} is running), exiting`);
      const why = state.kind === 'dead' ? `pid ${state.pid} is gone` : `it names ${state.what}`;
      settings.log(actorId, 'warn', `Stale pid file ${settings.pidFile} (${why}); it will be replaced`);
    },
    prefixDir: () => {
      let isDir = false;
      try {
        isDir = statSync(settings.prefixDir).isDirectory();
      } catch {
        isDir = false;
      }
      if (!isDir) throw new Error(`Ambari prefix dir ${settings.prefixDir} does not exists, can't continue`);
    },
    ambariVersion: (actorId) => {
      const version = readAmbariVersionSync(settings.prefixDir);
      settings.log(actorId, 'info', `Registering as Ambari ${version} (from ${ambariVersionFile(settings.prefixDir)})`);
    },
    writableDirs: () => {
      const dirs: Array<[string, string]> = [['logdir', settings.logDir], ['piddir', settings.pidDir]];
      if (settings.tmpDir !== undefined && existsSync(settings.tmpDir)) dirs.push(['tmp_dir', settings.tmpDir]);
      for (const [key, dir] of dirs) {
        try {
          accessSync(dir, constants.W_OK);
        } catch (err) {
          throw new Error(`[agent] ${key} ${dir} is not writable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
    },
  };
  return fromPromise<void, { check: PreflightCheck }>(async ({ input, signal }) => {
    await checks[input.check]('preflight', signal);
  });
}
