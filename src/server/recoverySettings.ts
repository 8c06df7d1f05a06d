// The dev cluster's recovery (auto-start) configuration, set through
// `PUT /api/v1/clusters/dev/recovery` and saved to DATA_DIR/recovery.json. It reaches agents in
// the two places the Java server puts it:
//  - the cluster-env recovery keys go into the configurations (cluster-env), as strings, as
//    Ambari keeps every configuration value (the agent's RecoveryManager parses them with int());
//  - which components recover goes into host level params: each host gets
//    recoveryConfig.components, its own components whose recovery is enabled
//    (RecoveryConfigHelper.getEnabledComponents; the dev server has no maintenance mode).
// A string value is taken as it is (to test what an agent makes of a bad one); booleans and
// numbers are written as Ambari writes them ("true", "6").
import type { ServerLog } from './agentEndpoint.js';
import { StateFile } from './stateFile.js';
import { isPlainObject } from '../util/plainObject.js';

export const RECOVERY_KEYS = ['recovery_enabled', 'recovery_type', 'recovery_max_count', 'recovery_window_in_minutes', 'recovery_retry_interval', 'recovery_lifetime_max_count'] as const;
type RecoveryKey = (typeof RECOVERY_KEYS)[number];
/** The recovery types the agent knows (RecoveryManager.on_config_update; DEFAULT is the stack's placeholder). */
export const RECOVERY_TYPES = ['AUTO_START', 'AUTO_INSTALL_START', 'FULL', 'DEFAULT'];
const COUNT_KEYS: RecoveryKey[] = ['recovery_max_count', 'recovery_window_in_minutes', 'recovery_retry_interval', 'recovery_lifetime_max_count'];

export interface RecoverySettings {
  /** The cluster-env keys set (absent ones are not sent). */
  cluster_env: Partial<Record<RecoveryKey, string>>;
  /** Names of the components whose recovery is enabled (ServiceComponent.isRecoveryEnabled). */
  components: string[];
}

/** A PUT body: the cluster-env keys it gives (null removes one) and, when given, the whole component list. */
export interface RecoveryRequest {
  cluster_env: Partial<Record<RecoveryKey, string | null>>;
  components?: string[];
}

export function parseRecoveryRequest(body: unknown): { request: RecoveryRequest } | { error: string } {
  const allowed = [...RECOVERY_KEYS, 'components'];
  if (!isPlainObject(body)) return { error: `expected a JSON object with any of ${allowed.join(', ')}` };
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) return { error: `unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${allowed.join(', ')}` };
  const request: RecoveryRequest = { cluster_env: {} };
  for (const key of RECOVERY_KEYS) {
    const value = body[key];
    if (value === undefined) continue;
    if (value === null || typeof value === 'string') request.cluster_env[key] = value;
    else if (key === 'recovery_enabled' && typeof value === 'boolean') request.cluster_env[key] = String(value);
    else if (COUNT_KEYS.includes(key) && typeof value === 'number' && Number.isSafeInteger(value)) request.cluster_env[key] = String(value);
    else {
      const what = key === 'recovery_enabled' ? 'true or false' : key === 'recovery_type' ? `one of ${RECOVERY_TYPES.join(', ')}` : 'a whole number';
      return { error: `"${key}" must be ${what} (or a string, sent as it is; null removes it), not ${JSON.stringify(value)}` };
    }
  }
  if (body.components !== undefined) {
    if (!Array.isArray(body.components) || !body.components.every((c) => typeof c === 'string' && c.trim() !== '')) {
      return { error: '"components" must be a list of component names (those whose recovery is enabled)' };
    }
    request.components = [...new Set(body.components.map((c: string) => c.trim()))].sort();
  }
  return { request };
}

export class RecoveryStore {
  private settings: RecoverySettings = { cluster_env: {}, components: [] };
  private readonly state: StateFile<RecoveryFile> | undefined;

  constructor(persistence?: { file: string; log: ServerLog }) {
    if (!persistence) return;
    this.state = new StateFile(persistence.file, parseRecoveryFile, persistence.log);
    const saved = this.state.load();
    if (saved) this.settings = { cluster_env: saved.cluster_env, components: saved.components };
  }

  get(): RecoverySettings {
    return { cluster_env: { ...this.settings.cluster_env }, components: [...this.settings.components] };
  }

  set(request: RecoveryRequest): RecoverySettings {
    const clusterEnv = { ...this.settings.cluster_env };
    for (const [key, value] of Object.entries(request.cluster_env) as Array<[RecoveryKey, string | null]>) {
      if (value === null) delete clusterEnv[key];
      else clusterEnv[key] = value;
    }
    this.settings = { cluster_env: clusterEnv, components: request.components ?? this.settings.components };
    this.state?.save({ version: RECOVERY_FILE_VERSION, ...this.settings });
    return this.get();
  }

  isEnabled(componentName: string): boolean {
    return this.settings.components.includes(componentName);
  }
}

const RECOVERY_FILE_VERSION = 1;

interface RecoveryFile extends RecoverySettings {
  version: typeof RECOVERY_FILE_VERSION;
}

function parseRecoveryFile(json: unknown): { value: RecoveryFile } | { error: string } {
  if (!isPlainObject(json)) return { error: 'not a JSON object' };
  if (json.version !== RECOVERY_FILE_VERSION) return { error: `unknown version ${JSON.stringify(json.version ?? null)}` };
  const env = json.cluster_env;
  if (!isPlainObject(env) || !Object.entries(env).every(([k, v]) => RECOVERY_KEYS.includes(k as RecoveryKey) && typeof v === 'string')) return { error: '"cluster_env" must map recovery keys to strings' };
  if (!Array.isArray(json.components) || !json.components.every((c) => typeof c === 'string')) return { error: '"components" must be a list of names' };
  return { value: json as unknown as RecoveryFile };
}
