// What every command script is started with besides its own arguments: the interpreter of
// PYTHON scripts, the TMPDIR argument, the arguments after it and the environment
// (CustomServiceOrchestrator.__init__ and runCommand's script_params in the original).
import type { LoadedConfig } from '../../config/loadConfig.js';

export interface ScriptEnvironment {
  /** Runs PYTHON scripts: the agent's $PYTHON when set and non-empty, else python3 on PATH. */
  interpreter: string;
  /** [agent] tmp_dir: the scripts' TMPDIR argument; created (mode 0700) before a run when missing. */
  tmpDir: string;
  /** After TMPDIR: PROTOCOL CA_CERT_PATH, then -o when [logging] log_out_files is present. */
  extraArgs: string[];
  /** The latest key the server sent on /events/encryption_key (AGENT_ENCRYPTION_KEY of the scripts). */
  encryptionKey(): string | undefined;
  /** The environment the scripts inherit; the agent's own (process.env) when absent. */
  baseEnv?: NodeJS.ProcessEnv;
}

export const ENCRYPTION_KEY_ENV = 'AGENT_ENCRYPTION_KEY';

export function pythonInterpreter(env: NodeJS.ProcessEnv = process.env): string {
  const python = env.PYTHON;
  return python !== undefined && python !== '' ? python : 'python3';
}

/**
 * PROTOCOL CA_CERT_PATH [-o]. As the original, -o is passed when the key is present at all
 * (ConfigParser's `get(...) is not None`), even with an empty value.
 */
export function scriptExtraArgs(config: Pick<LoadedConfig, 'ini' | 'raw'>): string[] {
  const { security } = config.ini;
  const args = [security.force_https_protocol, security.ca_cert_path];
  if (config.raw.logging?.log_out_files !== undefined) args.push('-o');
  return args;
}

export function scriptEnvironment(
  config: Pick<LoadedConfig, 'ini' | 'raw'>,
  encryptionKey: () => string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ScriptEnvironment {
  return { interpreter: pythonInterpreter(env), tmpDir: config.ini.agent.tmp_dir, extraArgs: scriptExtraArgs(config), encryptionKey, baseEnv: env };
}

/** The scripts' environment: the base one, the encryption key when there is one, and `extra`. */
export function scriptProcessEnv(environment: ScriptEnvironment, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(environment.baseEnv ?? process.env) };
  const key = environment.encryptionKey();
  if (key !== undefined) env[ENCRYPTION_KEY_ENV] = key;
  return { ...env, ...extra };
}
