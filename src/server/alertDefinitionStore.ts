// The dev cluster's alert definitions, as `/api/v1/clusters/dev/alert_definitions` makes them:
// checked as the Java server checks them (AlertDefinitionResourceProvider, the AlertDefinition
// and Source classes), kept in the shape AlertDefinition.java sends to agents (NON_EMPTY JSON
// names), and saved to DATA_DIR/alert_definitions.json after every change.
//
// As the Java server: definitionIds come from a sequence (a deleted id is never reused), the
// `uuid` (AlertDefinitionEntity.hash) is a new random UUID on creation AND on every accepted
// change (AlertDefinitionResourceProvider.populateEntity ends with setHash(randomUUID)), which
// is what makes an agent reschedule a changed definition; names are unique per cluster (the
// table's unique constraint).
import { randomUUID } from 'node:crypto';
import type { AlertDefinition, AlertSource } from '../actors/alerts/alertTypes.js';
import type { ServerLog } from './agentEndpoint.js';
import { StateFile } from './stateFile.js';
import { isPlainObject } from '../util/plainObject.js';

/** server/state/alert/SourceType.java. */
export const SOURCE_TYPES = ['AMS', 'METRIC', 'SCRIPT', 'PORT', 'AGGREGATE', 'PERCENT', 'WEB', 'RECOVERY', 'SERVER'] as const;
/** server/state/alert/Scope.java. */
export const SCOPES = ['ANY', 'HOST', 'SERVICE'] as const;
/** Reporting.ReportingType. */
const REPORTING_TYPES = ['NUMERIC', 'PERCENT'];
/** RootService.AMBARI / RootComponent.AMBARI_AGENT: definitions every host runs. */
export const AGENT_SCOPED = { serviceName: 'AMBARI', componentName: 'AMBARI_AGENT' } as const;

/** What a request may set; the rest (definitionId, uuid, clusterId) is the server's. */
const SETTABLE = ['name', 'label', 'description', 'help_url', 'serviceName', 'componentName', 'scope', 'interval', 'enabled', 'ignore_host', 'source', 'repeat_tolerance', 'repeat_tolerance_enabled'];
const ASSIGNED = ['definitionId', 'uuid', 'clusterId'];

/** A validated create or change request: only the fields it gives (componentName null: service-level). */
export type DefinitionChanges = Partial<Omit<AlertDefinition, 'componentName'>> & { componentName?: string | null };

class Invalid extends Error {}

/** Checks a create (`create`: name, serviceName, interval and source required) or change request. */
export function parseDefinitionRequest(body: unknown, create: boolean): { changes: DefinitionChanges } | { error: string } {
  try {
    return { changes: parse(body, create) };
  } catch (err) {
    if (err instanceof Invalid) return { error: err.message };
    throw err;
  }
}

function parse(input: unknown, create: boolean): DefinitionChanges {
  // Ambari's REST body wraps it: {"AlertDefinition": {...}}; both are taken.
  const body = isPlainObject(input) && Object.keys(input).length === 1 && isPlainObject(input.AlertDefinition) ? input.AlertDefinition : input;
  if (!isPlainObject(body)) throw new Invalid('expected a JSON object (an alert definition: name, serviceName, componentName?, interval, source, ...)');
  const assigned = Object.keys(body).filter((key) => ASSIGNED.includes(key));
  if (assigned.length > 0) throw new Invalid(`${assigned.map((k) => JSON.stringify(k)).join(', ')} cannot be set: the server assigns it`);
  const unknown = Object.keys(body).filter((key) => !SETTABLE.includes(key));
  if (unknown.length > 0) throw new Invalid(`unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${SETTABLE.join(', ')}`);
  // AlertDefinitionResourceProvider's messages for what a creation lacks.
  if (create && body.interval === undefined) throw new Invalid('Check interval must be specified ("interval", whole minutes >= 1)');
  if (create && body.name === undefined) throw new Invalid('Definition name must be specified ("name")');
  if (create && body.serviceName === undefined) throw new Invalid('Service name must be specified ("serviceName")');
  if (create && body.source === undefined) throw new Invalid(`Source must be specified ("source", its "type" one of ${SOURCE_TYPES.join(', ')})`);

  const out: DefinitionChanges = {};
  for (const field of ['name', 'serviceName'] as const) if (body[field] !== undefined) out[field] = text(body, field, true);
  for (const field of ['label', 'description', 'help_url'] as const) if (body[field] !== undefined) out[field] = text(body, field, false);
  if (body.componentName !== undefined) out.componentName = body.componentName === null ? null : text(body, 'componentName', true);
  if (body.scope !== undefined) {
    if (!SCOPES.includes(body.scope as never)) throw new Invalid(`"scope" must be one of ${SCOPES.join(', ')}, not ${JSON.stringify(body.scope)}`);
    out.scope = body.scope as string;
  }
  if (body.interval !== undefined) out.interval = whole(body, 'interval', 1);
  if (body.repeat_tolerance !== undefined) out.repeat_tolerance = whole(body, 'repeat_tolerance', 0);
  for (const field of ['enabled', 'ignore_host', 'repeat_tolerance_enabled'] as const) {
    if (body[field] === undefined) continue;
    if (typeof body[field] !== 'boolean') throw new Invalid(`"${field}" must be true or false, not ${JSON.stringify(body[field])}`);
    out[field] = body[field];
  }
  if (body.source !== undefined) out.source = source(body.source);
  return out;
}

function text(body: Record<string, unknown>, field: string, required: boolean): string {
  const value = body[field];
  if (typeof value !== 'string' || (required && value.trim() === '')) throw new Invalid(`"${field}" must be a ${required ? 'non-empty ' : ''}string, not ${JSON.stringify(value)}`);
  return required ? value.trim() : value;
}

function whole(body: Record<string, unknown>, field: string, min: number): number {
  const value = body[field];
  // A Java Integer: whole and within 32 bits.
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2 ** 31 - 1) throw new Invalid(`"${field}" must be a whole number >= ${min}, not ${JSON.stringify(value)}`);
  return value;
}

/** The source as the type's Source class reads it: the type an enum, the keys it knows of the right JSON kind. */
function source(value: unknown): AlertSource {
  if (!isPlainObject(value) || Object.keys(value).length === 0) throw new Invalid('"source" must be a non-empty JSON object');
  if (!SOURCE_TYPES.includes(value.type as never)) throw new Invalid(`"source.type" must be one of ${SOURCE_TYPES.join(', ')}, not ${JSON.stringify(value.type ?? null)}`);
  const kind = (key: string, check: (v: unknown) => boolean, what: string) => {
    if (value[key] !== undefined && value[key] !== null && !check(value[key])) throw new Invalid(`"source.${key}" must be ${what}, not ${JSON.stringify(value[key])}`);
  };
  const isString = (v: unknown) => typeof v === 'string';
  kind('reporting', isPlainObject, 'an object {ok, warning, critical, units, type}');
  if (isPlainObject(value.reporting)) {
    const reporting = value.reporting;
    for (const state of ['ok', 'warning', 'critical'] as const) {
      const template = reporting[state];
      if (template === undefined || template === null) continue;
      if (!isPlainObject(template)) throw new Invalid(`"source.reporting.${state}" must be an object {text, value?}`);
      if (template.text !== undefined && typeof template.text !== 'string') throw new Invalid(`"source.reporting.${state}.text" must be a string`);
      if (template.value !== undefined && template.value !== null && typeof template.value !== 'number') throw new Invalid(`"source.reporting.${state}.value" must be a number`);
    }
    if (reporting.type !== undefined && reporting.type !== null && !REPORTING_TYPES.includes(reporting.type as string)) {
      throw new Invalid(`"source.reporting.type" must be one of ${REPORTING_TYPES.join(', ')}, not ${JSON.stringify(reporting.type)}`);
    }
  }
  switch (value.type) {
    case 'PORT':
      kind('uri', isString, 'a string (host:port, placeholders allowed)');
      kind('default_port', (v) => Number.isInteger(v), 'a whole number');
      break;
    case 'SCRIPT':
      kind('path', isString, 'a string');
      break;
    case 'WEB':
    case 'METRIC':
    case 'AMS':
      kind('uri', isPlainObject, 'an object (UriInfo: http, https, https_property, ...)');
      kind('jmx', isPlainObject, 'an object {property_list, value, url_suffix}');
      kind('ams', isPlainObject, 'an object {metric_list, value, ...}');
      break;
  }
  kind('parameters', (v) => Array.isArray(v) && v.every((p) => isPlainObject(p) && typeof p.name === 'string'), 'a list of {name, value, ...}');
  return value as AlertSource;
}

/** A host's part of the cluster, for choosing its definitions. */
export interface HostComponents {
  /** The (service, component) pairs on the host. */
  components: Array<{ service_name: string; component_name: string }>;
  /** Services with a master on the host. */
  masterServices: Set<string>;
}

export class AlertDefinitionStore {
  private definitions: AlertDefinition[] = [];
  private nextId = 1;
  private readonly state: StateFile<DefinitionsFile> | undefined;

  constructor(
    private readonly clusterId: number,
    persistence?: { file: string; log: ServerLog },
    private readonly newUuid: () => string = randomUUID,
  ) {
    if (!persistence) return;
    this.state = new StateFile(persistence.file, parseDefinitionsFile, persistence.log);
    const saved = this.state.load();
    if (saved) {
      this.definitions = saved.definitions;
      this.nextId = saved.next_id;
    }
  }

  /** All definitions, by definitionId. */
  list(): AlertDefinition[] {
    return [...this.definitions].sort((a, b) => a.definitionId - b.definitionId);
  }

  get(definitionId: number): AlertDefinition | undefined {
    return this.definitions.find((d) => d.definitionId === definitionId);
  }

  /** A new definition from a create request (parseDefinitionRequest with create), or the name clash. */
  create(changes: DefinitionChanges): { definition: AlertDefinition } | { conflict: string } {
    const clash = this.nameClash(changes.name!, undefined);
    if (clash) return { conflict: clash };
    const definition = shape({
      // The entity's defaults (AlertDefinitionEntity, the provider's create path).
      scope: 'ANY',
      enabled: true,
      ignore_host: false,
      repeat_tolerance: 1,
      repeat_tolerance_enabled: false,
      ...changes,
      clusterId: this.clusterId,
      definitionId: this.nextId++,
      uuid: this.newUuid(),
    });
    this.definitions.push(definition);
    this.save();
    return { definition };
  }

  /** Applies a change request: the changed definition (a new uuid), undefined for an unknown id, or the name clash. */
  change(definitionId: number, changes: DefinitionChanges): { definition: AlertDefinition } | { conflict: string } | undefined {
    const index = this.definitions.findIndex((d) => d.definitionId === definitionId);
    if (index === -1) return undefined;
    const clash = changes.name !== undefined ? this.nameClash(changes.name, definitionId) : undefined;
    if (clash) return { conflict: clash };
    const definition = shape({ ...this.definitions[index]!, ...changes, uuid: this.newUuid() });
    this.definitions[index] = definition;
    this.save();
    return { definition };
  }

  /** Removes a definition: the removed one, or undefined for an unknown id. */
  remove(definitionId: number): AlertDefinition | undefined {
    const index = this.definitions.findIndex((d) => d.definitionId === definitionId);
    if (index === -1) return undefined;
    const [removed] = this.definitions.splice(index, 1);
    this.save();
    return removed;
  }

  /**
   * The definitions a host gets (AlertDefinitionHash.getAlertDefinitionEntities): those of each
   * (service, component) on it; the service-level ones (no component, scope SERVICE, not
   * AGGREGATE) of services with a master on it; and the agent-scoped ones (AMBARI/AMBARI_AGENT).
   * Disabled ones too: the agent itself skips them.
   */
  forHost(host: HostComponents): AlertDefinition[] {
    const pairs = new Set(host.components.map((c) => `${c.service_name}/${c.component_name}`));
    return this.list().filter((d) => {
      if (d.serviceName === AGENT_SCOPED.serviceName && d.componentName === AGENT_SCOPED.componentName) return true;
      if (d.componentName !== undefined) return pairs.has(`${d.serviceName}/${d.componentName}`);
      return d.scope === 'SERVICE' && d.source.type !== 'AGGREGATE' && host.masterServices.has(d.serviceName!);
    });
  }

  private nameClash(name: string, except: number | undefined): string | undefined {
    const other = this.definitions.find((d) => d.name === name && d.definitionId !== except);
    return other ? `an alert definition named ${JSON.stringify(name)} exists already (definitionId ${other.definitionId})` : undefined;
  }

  private save(): void {
    this.state?.save({ version: DEFINITIONS_FILE_VERSION, next_id: this.nextId, definitions: this.definitions });
  }
}

/** The definition as AlertDefinition.java writes it (NON_EMPTY: no null, empty string or empty object); componentName null drops it. */
function shape(definition: DefinitionChanges & Pick<AlertDefinition, 'definitionId' | 'clusterId' | 'uuid'>): AlertDefinition {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(definition)) {
    if (value === null || value === undefined || value === '') continue;
    out[key] = value;
  }
  return out as unknown as AlertDefinition;
}

// ---------------------------------------------------------------------------------------------
// alert_definitions.json

const DEFINITIONS_FILE_VERSION = 1;

interface DefinitionsFile {
  version: typeof DEFINITIONS_FILE_VERSION;
  next_id: number;
  definitions: AlertDefinition[];
}

function parseDefinitionsFile(json: unknown): { value: DefinitionsFile } | { error: string } {
  if (!isPlainObject(json)) return { error: 'not a JSON object' };
  if (json.version !== DEFINITIONS_FILE_VERSION) return { error: `unknown version ${JSON.stringify(json.version ?? null)}` };
  if (!Array.isArray(json.definitions)) return { error: '"definitions" must be a list' };
  if (typeof json.next_id !== 'number' || !Number.isSafeInteger(json.next_id) || json.next_id < 1) return { error: '"next_id" must be a whole number >= 1' };
  const ids = new Set<number>();
  const names = new Set<string>();
  for (const [index, d] of json.definitions.entries()) {
    const ok =
      isPlainObject(d) &&
      Number.isSafeInteger(d.definitionId) && (d.definitionId as number) > 0 && (d.definitionId as number) < json.next_id &&
      typeof d.uuid === 'string' && typeof d.name === 'string' && typeof d.serviceName === 'string' &&
      Number.isInteger(d.interval) && typeof d.enabled === 'boolean' &&
      isPlainObject(d.source) && SOURCE_TYPES.includes(d.source.type as never);
    if (!ok) return { error: `definitions[${index}] is not a valid alert definition` };
    if (ids.has(d.definitionId as number) || names.has(d.name as string)) return { error: `definitions[${index}]: definitionId or name twice` };
    ids.add(d.definitionId as number);
    names.add(d.name as string);
  }
  return { value: json as unknown as DefinitionsFile };
}
