// What every control command needs: the parsed arguments, the config and the derived paths.
import { loadConfig, type LoadedConfig } from '../config/loadConfig.js';
import { agentPaths, checkControlDirs, type AgentPaths } from '../config/paths.js';
import type { CliArgs } from './args.js';

export interface CommandContext {
  args: CliArgs;
  config: LoadedConfig;
  paths: AgentPaths;
}

export function commandContext(args: CliArgs): CommandContext {
  const config = loadConfig(args.home);
  checkControlDirs(config.ini);
  return { args, config, paths: agentPaths(config.ini) };
}

export const say = (line: string) => process.stdout.write(`${line}\n`);
export const complain = (line: string) => process.stderr.write(`${line}\n`);

/** Exit codes of the control script. */
export const EXIT = {
  OK: 0,
  ERROR: 1,
  STALE_PID: 2,
  NOT_RUNNING: 3,
  /** `exit -1` in the original shell script. */
  START_FAILED: 255,
} as const;
