// The command runner's settings as an agent's ini gives them: one builder for the daemon's
// wiring and for each simulated host (`real` commands), which differ only in the parts given.
import type { LoadedConfig } from '../../config/loadConfig.js';
import type { AgentCaches } from '../../caches/index.js';
import type { LogFn } from '../../logging/logger.js';
import type { ReportStore } from '../reporters/reportStore.js';
import { commandCachesOf } from './commandJson.js';
import type { ExecutionSettings } from './commandExecution.js';
import type { ComponentActivity } from './componentActivity.js';
import type { RunningCommands } from './runningCommands.js';
import type { DirectoryProvider } from './scriptLocation.js';
import { scriptEnvironment } from './scriptEnvironment.js';

export interface ExecutionParts {
  /** The data dir of command files ([agent] prefix; a simulated host's own dir). */
  prefixDir: string;
  store: ReportStore;
  running: RunningCommands;
  activity: ComponentActivity;
  log: LogFn;
  caches: AgentCaches;
  maxOutputChars: number;
  /** The latest /events/encryption_key (AGENT_ENCRYPTION_KEY of the scripts). */
  encryptionKey: () => string | undefined;
  hostname: () => string;
  /** As last sent in /register; the hostname when absent. */
  publicHostname?: () => string | undefined;
  files: DirectoryProvider;
}

export function executionSettings(config: LoadedConfig, parts: ExecutionParts): ExecutionSettings & Required<Pick<ExecutionSettings, 'agentFacts' | 'commandCaches' | 'files'>> {
  const { agent } = config.ini;
  return {
    prefixDir: parts.prefixDir,
    cacheDir: agent.cache_dir,
    logLevel: agent.loglevel,
    updateOutput: agent.command_update_output === 1,
    maxOutputChars: parts.maxOutputChars,
    environment: scriptEnvironment(config, parts.encryptionKey),
    store: parts.store,
    running: parts.running,
    activity: parts.activity,
    log: parts.log,
    commandCaches: () => commandCachesOf(parts.caches),
    agentFacts: () => ({
      hostname: parts.hostname(),
      publicHostname: parts.publicHostname?.() ?? parts.hostname(),
      cacheDir: agent.cache_dir,
      parallelExecution: agent.parallel_execution,
      useSystemProxySettings: config.ini.network.use_system_proxy_settings,
    }),
    files: parts.files,
  };
}
