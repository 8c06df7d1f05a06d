// Components placed on hosts through `POST /api/v1/hosts/NAME/components`: what the topology's
// `components` and the metadata's serviceLevelParams are made of (clusterData.ts). With a file
// (DATA_DIR/components.json) they are saved after every change and loaded at start, so a
// restarted server keeps its topology.
//
// Components are kept with host names; the topology gives them the hosts' ids (clusterHosts.ts).
import type { ServerLog } from './agentEndpoint.js';
import { StateFile } from './stateFile.js';
import type { ScriptType } from './taskStore.js';
import { isPlainObject } from '../util/plainObject.js';

export const DEFAULT_COMPONENT_VERSION = '1.0';
/** Service and component names end up in paths on the agent (service_package_folder): no `/`, no `..`. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const REQUEST_FIELDS = ['service_name', 'component_name', 'script', 'script_type', 'version', 'desired_state'];
/**
 * The desired states a component can be given (State.java's settled ones). What the recovery
 * config tells agents (recoveryConfig.components[].desired_state); STARTED by default, since a
 * component placed here is one the agent runs status commands for.
 */
export const DESIRED_STATES = ['INIT', 'INSTALLED', 'STARTED'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];
export const DEFAULT_DESIRED_STATE: DesiredState = 'STARTED';

/** What `POST /api/v1/hosts/NAME/components` asks for, validated; unset optional fields are undefined. */
export interface ComponentRequest {
  service_name: string;
  component_name: string;
  script: string;
  script_type: ScriptType | undefined;
  version: string | undefined;
  desired_state: DesiredState | undefined;
}

export interface StoredComponent {
  service_name: string;
  component_name: string;
  script: string;
  script_type: ScriptType;
  version: string;
  /** The same on every host (the dev server keeps one per component); older files lack it: STARTED. */
  desired_state?: DesiredState;
  /** The hosts it is on, sorted. */
  hosts: string[];
}

export type AddResult =
  /** `changed`: on the host already, with another desired_state now. */
  | { outcome: 'created' | 'added' | 'changed' | 'unchanged'; component: StoredComponent }
  /** The component exists with another script, script_type or version. */
  | { outcome: 'conflict'; component: StoredComponent; error: string };

/** Validates a component request body: the request, or what is wrong with it. */
export function parseComponentRequest(body: unknown): { request: ComponentRequest } | { error: string } {
  if (!isPlainObject(body)) return { error: 'expected a JSON object {"service_name", "component_name", "script", "script_type"?, "version"?}' };
  const unknown = Object.keys(body).filter((key) => !REQUEST_FIELDS.includes(key));
  if (unknown.length > 0) return { error: `unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${REQUEST_FIELDS.join(', ')}` };
  for (const field of ['service_name', 'component_name', 'script'] as const) {
    const value = body[field];
    if (value === undefined) return { error: `"${field}" is required (a non-empty string)` };
    if (typeof value !== 'string' || value.trim() === '') return { error: `"${field}" must be a non-empty string` };
  }
  for (const field of ['service_name', 'component_name'] as const) {
    const value = (body[field] as string).trim();
    if (!NAME.test(value)) return { error: `"${field}" must be letters, digits, "_" or "-" (at most 100), not ${JSON.stringify(value)}` };
  }
  const scriptType = body.script_type;
  if (scriptType !== undefined && scriptType !== 'PYTHON' && scriptType !== 'SHELL') return { error: `"script_type" must be "PYTHON" or "SHELL", not ${JSON.stringify(scriptType)}` };
  const version = body.version;
  if (version !== undefined && (typeof version !== 'string' || version.trim() === '')) return { error: `"version" must be a non-empty string, not ${JSON.stringify(version)}` };
  const desired = body.desired_state;
  if (desired !== undefined && !DESIRED_STATES.includes(desired as DesiredState)) return { error: `"desired_state" must be one of ${DESIRED_STATES.join(', ')}, not ${JSON.stringify(desired)}` };
  return {
    request: {
      desired_state: desired as DesiredState | undefined,
      service_name: (body.service_name as string).trim(),
      component_name: (body.component_name as string).trim(),
      script: body.script as string,
      script_type: scriptType,
      version: version?.trim(),
    },
  };
}

export class ComponentStore {
  private readonly components: StoredComponent[] = [];
  private readonly state: StateFile<ComponentsFile> | undefined;

  constructor(persistence?: { file: string; log: ServerLog }) {
    if (!persistence) return;
    this.state = new StateFile(persistence.file, parseComponentsFile, persistence.log);
    this.components.push(...(this.state.load()?.components ?? []));
  }

  /** All components, by service and component name. */
  list(): StoredComponent[] {
    return [...this.components].sort((a, b) => a.service_name.localeCompare(b.service_name) || a.component_name.localeCompare(b.component_name));
  }

  /** The services that have components, sorted. */
  services(): string[] {
    return [...new Set(this.components.map((c) => c.service_name))].sort();
  }

  /**
   * Places the component on the host. The first request defines it (script, script_type,
   * version; defaults PYTHON and 1.0); later ones for other hosts must agree (fields they leave
   * out are taken as they are), since the topology has one definition per component.
   */
  add(hostName: string, request: ComponentRequest): AddResult {
    const existing = this.components.find((c) => c.service_name === request.service_name && c.component_name === request.component_name);
    if (!existing) {
      const component: StoredComponent = {
        service_name: request.service_name,
        component_name: request.component_name,
        script: request.script,
        script_type: request.script_type ?? 'PYTHON',
        version: request.version ?? DEFAULT_COMPONENT_VERSION,
        desired_state: request.desired_state ?? DEFAULT_DESIRED_STATE,
        hosts: [hostName],
      };
      this.components.push(component);
      this.save();
      return { outcome: 'created', component };
    }
    const differing = (['script', 'script_type', 'version'] as const).filter((field) => request[field] !== undefined && request[field] !== existing[field]);
    if (differing.length > 0) {
      const what = differing.map((field) => `${field} ${JSON.stringify(existing[field])}`).join(', ');
      return { outcome: 'conflict', component: existing, error: `${existing.service_name}/${existing.component_name} already exists with ${what}; every host has the same definition` };
    }
    // The desired state is what changes over a component's life: a new one is taken, not a conflict.
    const newState = request.desired_state !== undefined && request.desired_state !== desiredStateOf(existing);
    if (newState) existing.desired_state = request.desired_state;
    if (existing.hosts.includes(hostName)) {
      if (!newState) return { outcome: 'unchanged', component: existing };
      this.save();
      return { outcome: 'changed', component: existing };
    }
    existing.hosts = [...existing.hosts, hostName].sort();
    this.save();
    return { outcome: 'added', component: existing };
  }

  private save(): void {
    this.state?.save({ version: COMPONENTS_FILE_VERSION, components: this.components });
  }
}

export function desiredStateOf(component: StoredComponent): DesiredState {
  return component.desired_state ?? DEFAULT_DESIRED_STATE;
}

// ---------------------------------------------------------------------------------------------
// components.json

const COMPONENTS_FILE_VERSION = 1;

interface ComponentsFile {
  version: typeof COMPONENTS_FILE_VERSION;
  components: StoredComponent[];
}

function parseComponentsFile(json: unknown): { value: ComponentsFile } | { error: string } {
  if (!isPlainObject(json)) return { error: 'not a JSON object' };
  if (json.version !== COMPONENTS_FILE_VERSION) return { error: `unknown version ${JSON.stringify(json.version ?? null)}` };
  if (!Array.isArray(json.components)) return { error: '"components" must be a list' };
  const seen = new Set<string>();
  for (const [index, c] of json.components.entries()) {
    const ok =
      isPlainObject(c) &&
      typeof c.service_name === 'string' && NAME.test(c.service_name) &&
      typeof c.component_name === 'string' && NAME.test(c.component_name) &&
      typeof c.script === 'string' && c.script !== '' &&
      (c.script_type === 'PYTHON' || c.script_type === 'SHELL') &&
      typeof c.version === 'string' && c.version !== '' &&
      (c.desired_state === undefined || DESIRED_STATES.includes(c.desired_state as DesiredState)) &&
      Array.isArray(c.hosts) && c.hosts.every((host) => typeof host === 'string' && host !== '');
    if (!ok) return { error: `components[${index}] is not a valid component` };
    const key = `${c.service_name as string}/${c.component_name as string}`;
    if (seen.has(key)) return { error: `${key} twice` };
    seen.add(key);
  }
  return { value: json as unknown as ComponentsFile };
}
