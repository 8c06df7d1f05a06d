// The recovery (auto-start) rules of the original's RecoveryManager, as pure functions over
// plain data: the config from cluster-env and host level params' recoveryConfig, the state
// sets each type allows, whether a component needs recovery, the per-component attempt
// counters (count per window, retry gap, lifetime), which command recovers it, and the report.
// No clock: every function that needs the time takes `now` in whole seconds, as the
// original's _now_ gives it. src/machines/recovery.ts holds the state and decides when to ask.
import { isPlainObject } from '../../util/plainObject.js';

export const RECOVERY_TYPES = ['AUTO_START', 'AUTO_INSTALL_START', 'FULL'] as const;
export type RecoveryType = (typeof RECOVERY_TYPES)[number];

export const STARTED = 'STARTED';
export const INSTALLED = 'INSTALLED';
export const INIT = 'INIT';
export const INSTALL_FAILED = 'INSTALL_FAILED';

/** The limits and mode in force (RecoveryManager.update_config's fields). */
export interface RecoveryLimits {
  type: RecoveryType;
  maxCount: number;
  windowMinutes: number;
  retryGapMinutes: number;
  lifetimeMaxCount: number;
}

/** What cluster-env asks for, before validation. */
export interface RequestedRecovery extends RecoveryLimits {
  enabled: boolean;
}

/** The original's defaults (RecoveryManager.__init__ / on_config_update). */
export const DEFAULT_LIMITS: RecoveryLimits = { type: 'FULL', maxCount: 6, windowMinutes: 60, retryGapMinutes: 5, lifetimeMaxCount: 12 };

/** A component's states as the manager sees them ('' until known). */
export interface ComponentRecoveryStatus {
  current: string;
  desired: string;
  staleConfig: boolean;
}

/** The per-component attempt record; times in whole seconds (0: never). */
export interface ActionCounter {
  lastAttempt: number;
  count: number;
  lastReset: number;
  lifetimeCount: number;
  warnedLastAttempt: boolean;
  warnedLastReset: boolean;
  warnedThresholdReached: boolean;
}

export const NEW_COUNTER: Readonly<ActionCounter> = Object.freeze({
  lastAttempt: 0,
  count: 0,
  lastReset: 0,
  lifetimeCount: 0,
  warnedLastAttempt: false,
  warnedLastReset: false,
  warnedThresholdReached: false,
});

/** Everything the manager knows; replaced, never changed in place. */
export interface RecoveryState {
  enabled: boolean;
  limits: RecoveryLimits;
  /** The first cluster of the caches (the original handles one cluster only). */
  clusterId?: string;
  /** recoveryConfig.components' names, replaced by each update. */
  enabledComponents: string[];
  /** component -> service, as the server last said (kept across updates, as the original). */
  services: Record<string, string>;
  statuses: Record<string, ComponentRecoveryStatus>;
  actions: Record<string, ActionCounter>;
  /** host level params' blueprint_provisioning_state: {component: state}. */
  blueprintState: Record<string, string>;
}

export const INITIAL_RECOVERY_STATE: RecoveryState = {
  enabled: false,
  limits: DEFAULT_LIMITS,
  enabledComponents: [],
  services: {},
  statuses: {},
  actions: {},
  blueprintState: {},
};

// --- Config --------------------------------------------------------------------------------

/** Python's int() on a config value: whole-number text or a number; anything else keeps the default. */
function readInt(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  return fallback;
}

/** _read_bool_: the text "true" in any case is true, anything else false. */
function readBool(value: unknown): boolean {
  return String(value).toLowerCase() === 'true';
}

/** What cluster-env asks for (on_config_update); no cluster-env means recovery off with the defaults. */
export function requestedRecovery(clusterEnv: unknown): RequestedRecovery {
  const asked: RequestedRecovery = { ...DEFAULT_LIMITS, enabled: false };
  if (!isPlainObject(clusterEnv)) return asked;
  const has = (key: string) => Object.prototype.hasOwnProperty.call(clusterEnv, key);
  const type = clusterEnv.recovery_type;
  if (typeof type === 'string' && (RECOVERY_TYPES as readonly string[]).includes(type)) {
    asked.enabled = true;
    asked.type = type as RecoveryType;
  }
  if (has('recovery_enabled')) asked.enabled = readBool(clusterEnv.recovery_enabled);
  if (has('recovery_max_count')) asked.maxCount = readInt(clusterEnv.recovery_max_count, asked.maxCount);
  if (has('recovery_window_in_minutes')) asked.windowMinutes = readInt(clusterEnv.recovery_window_in_minutes, asked.windowMinutes);
  if (has('recovery_retry_interval')) asked.retryGapMinutes = readInt(clusterEnv.recovery_retry_interval, asked.retryGapMinutes);
  if (has('recovery_lifetime_max_count')) asked.lifetimeMaxCount = readInt(clusterEnv.recovery_lifetime_max_count, asked.lifetimeMaxCount);
  return asked;
}

/** Why these limits cannot be used (update_config's checks), or undefined when they can. */
export function invalidLimits(limits: RecoveryLimits): string | undefined {
  if (limits.maxCount <= 0) return 'Recovery disabled: max_count must be a non-negative number';
  if (limits.windowMinutes <= 0) return 'Recovery disabled: window_in_min must be a non-negative number';
  if (limits.retryGapMinutes < 1) return 'Recovery disabled: retry_gap must be a positive number and at least 1';
  if (limits.retryGapMinutes >= limits.windowMinutes) return 'Recovery disabled: retry_gap must be smaller than window_in_min';
  if (limits.lifetimeMaxCount < 0 || limits.lifetimeMaxCount < limits.maxCount) return 'Recovery disabled: max_lifetime_count must more than 0 and >= max_count';
  return undefined;
}

/**
 * update_config: invalid limits turn recovery off (with the warning) and keep the limits in
 * force before; valid ones replace them, and `enabled` is what was asked.
 */
export function applyConfig(state: RecoveryState, asked: RequestedRecovery): { state: RecoveryState; warning?: string } {
  const { enabled, ...limits } = asked;
  const warning = invalidLimits(limits);
  if (warning) return { state: { ...state, enabled: false }, warning };
  return { state: { ...state, enabled, limits } };
}

export interface RecoveryComponentConfig {
  component_name: string;
  service_name: string;
  desired_state: string;
}

/**
 * update_recovery_config: recoveryConfig.components replaces the enabled list, sets each
 * one's desired state and remembers its service. Entries without the three strings are
 * skipped (named in the warnings); an entry without recoveryConfig changes nothing.
 */
export function applyHostLevelParams(state: RecoveryState, hostLevelParams: unknown): { state: RecoveryState; warnings: string[] } {
  const warnings: string[] = [];
  if (!isPlainObject(hostLevelParams)) return { state, warnings };
  let next = state;
  const blueprint = hostLevelParams.blueprint_provisioning_state;
  if (isPlainObject(blueprint)) {
    next = { ...next, blueprintState: Object.fromEntries(Object.entries(blueprint).filter(([, v]) => typeof v === 'string')) as Record<string, string> };
  }
  const config = hostLevelParams.recoveryConfig;
  if (!isPlainObject(config) || !Array.isArray(config.components)) return { state: next, warnings };
  const enabledComponents: string[] = [];
  let statuses = next.statuses;
  const services = { ...next.services };
  for (const item of config.components) {
    const ok = isPlainObject(item) && typeof item.component_name === 'string' && typeof item.service_name === 'string' && typeof item.desired_state === 'string';
    if (!ok) {
      warnings.push(`Ignored a recoveryConfig component without component_name, service_name and desired_state: ${JSON.stringify(item)}`);
      continue;
    }
    const entry = item as unknown as RecoveryComponentConfig;
    enabledComponents.push(entry.component_name);
    statuses = withDesired(statuses, entry.component_name, entry.desired_state);
    services[entry.component_name] = entry.service_name;
  }
  return { state: { ...next, enabledComponents, statuses, services }, warnings };
}

// --- Statuses ------------------------------------------------------------------------------

const statusOf = (statuses: Record<string, ComponentRecoveryStatus>, component: string): ComponentRecoveryStatus =>
  statuses[component] ?? { current: '', desired: '', staleConfig: false };

export function withCurrent(statuses: Record<string, ComponentRecoveryStatus>, component: string, current: string): Record<string, ComponentRecoveryStatus> {
  return { ...statuses, [component]: { ...statusOf(statuses, component), current } };
}

export function withDesired(statuses: Record<string, ComponentRecoveryStatus>, component: string, desired: string): Record<string, ComponentRecoveryStatus> {
  return { ...statuses, [component]: { ...statusOf(statuses, component), desired } };
}

/** handle_status_change: a status check's result; INSTALL_FAILED stays until the component is seen STARTED. */
export function statusSeen(state: RecoveryState, component: string, status: string): RecoveryState {
  if (status !== STARTED && state.statuses[component]?.current === INSTALL_FAILED) return state;
  return { ...state, statuses: withCurrent(state.statuses, component, status) };
}

export const configuredForRecovery = (state: RecoveryState, component: string): boolean => state.enabledComponents.includes(component);

/** The states each type may recover from and to (update_config). */
export function allowedStates(type: RecoveryType): { desired: readonly string[]; current: readonly string[] } {
  if (type === 'AUTO_START') return { desired: [STARTED], current: [INSTALLED] };
  if (type === 'AUTO_INSTALL_START') return { desired: [INSTALLED, STARTED], current: [INSTALL_FAILED, INSTALLED] };
  return { desired: [STARTED, INSTALLED], current: [INIT, INSTALL_FAILED, INSTALLED, STARTED] };
}

/** requires_recovery. */
export function requiresRecovery(state: RecoveryState, component: string): boolean {
  const status = state.statuses[component];
  if (!state.enabled || !configuredForRecovery(state, component) || !status) return false;
  const allowed = allowedStates(state.limits.type);
  if (state.limits.type !== 'FULL') {
    if (status.current === status.desired || !allowed.desired.includes(status.desired)) return false;
  } else if (status.current === status.desired && !status.staleConfig) {
    return false;
  }
  return allowed.desired.includes(status.desired) && allowed.current.includes(status.current);
}

/** What a server command tells about a component (process_execution_command / _result), as the queue sees it. */
export interface CommandFacts {
  role?: string;
  roleCommand?: string;
  /** CUSTOM_COMMAND's name (RESTART). */
  customCommand?: string;
  commandType?: string;
}

/** process_execution_command: an EXECUTION_COMMAND for a configured component sets its desired state. */
export function serverCommandTaken(state: RecoveryState, command: CommandFacts): RecoveryState {
  if (!state.enabled || command.commandType !== 'EXECUTION_COMMAND' || !command.role || !configuredForRecovery(state, command.role)) return state;
  const { role, roleCommand } = command;
  let desired: string | undefined;
  if (roleCommand === 'INSTALL' || roleCommand === 'STOP') desired = INSTALLED;
  else if (roleCommand === 'START') desired = STARTED;
  else if (command.customCommand === 'RESTART') desired = STARTED;
  return desired === undefined ? state : { ...state, statuses: withDesired(state.statuses, role, desired) };
}

/** process_execution_command_result: a finished command (server's or auto) of a configured component sets its current state. */
export function commandFinished(state: RecoveryState, command: CommandFacts, status: 'COMPLETED' | 'FAILED'): RecoveryState {
  if (!state.enabled || !command.role || !command.roleCommand || !configuredForRecovery(state, command.role)) return state;
  const { role, roleCommand } = command;
  let current: string | undefined;
  if (status === 'COMPLETED') {
    if (roleCommand === 'START') current = STARTED;
    else if (roleCommand === 'STOP' || roleCommand === 'INSTALL') current = INSTALLED;
    else if (roleCommand === 'CUSTOM_COMMAND' && command.customCommand === 'RESTART') current = STARTED;
  } else if (roleCommand === 'INSTALL') {
    current = INSTALL_FAILED;
  }
  return current === undefined ? state : { ...state, statuses: withCurrent(state.statuses, role, current) };
}

// --- Attempt counters ----------------------------------------------------------------------

const windowSeconds = (limits: RecoveryLimits) => limits.windowMinutes * 60;
const retryGapSeconds = (limits: RecoveryLimits) => limits.retryGapMinutes * 60;

/** may_execute: whether an attempt would be allowed now (nothing recorded). */
export function mayExecute(counter: ActionCounter | undefined, limits: RecoveryLimits, now: number): boolean {
  const c = counter ?? NEW_COUNTER;
  if (c.lifetimeCount >= limits.lifetimeMaxCount) return false;
  if (c.count < limits.maxCount) return now - c.lastAttempt > retryGapSeconds(limits);
  return now - c.lastReset > windowSeconds(limits);
}

/** execute: an attempt checked and, when allowed, recorded; `warning` is what the original logs at warn level (once per spell). */
export function execute(counter: ActionCounter | undefined, limits: RecoveryLimits, now: number, component: string): { counter: ActionCounter; executed: boolean; warning?: string } {
  const c: ActionCounter = { ...(counter ?? NEW_COUNTER) };
  const sinceAttempt = now - c.lastAttempt;
  if (c.lifetimeCount >= limits.lifetimeMaxCount) {
    const first = !c.warnedThresholdReached;
    c.warnedThresholdReached = true;
    return { counter: c, executed: false, warning: first ? `${c.lifetimeCount} occurrences in agent life time reached the limit for ${component}` : undefined };
  }
  // The window restarts once a whole window has passed since the last attempt.
  if (sinceAttempt > windowSeconds(limits)) {
    c.count = 0;
    c.lastReset = now;
    c.warnedLastReset = false;
  }
  if (c.count < limits.maxCount) {
    if (sinceAttempt > retryGapSeconds(limits)) {
      c.count += 1;
      c.lifetimeCount += 1;
      c.lastAttempt = now;
      c.warnedLastAttempt = false;
      if (c.count === 1) c.lastReset = now;
      return { counter: c, executed: true };
    }
    const first = !c.warnedLastAttempt;
    c.warnedLastAttempt = true;
    return { counter: c, executed: false, warning: first ? `${retryGapSeconds(limits)} seconds has not passed since last occurrence ${sinceAttempt} seconds back for ${component}` : undefined };
  }
  if (now - c.lastReset > windowSeconds(limits)) {
    c.count = 1;
    c.lifetimeCount += 1;
    c.lastAttempt = now;
    c.lastReset = now;
    c.warnedLastReset = false;
    return { counter: c, executed: true };
  }
  const first = !c.warnedLastReset;
  c.warnedLastReset = true;
  return { counter: c, executed: false, warning: first ? `${c.count} occurrences in ${limits.windowMinutes} minutes reached the limit for ${component}` : undefined };
}

/** is_action_info_stale: a whole window has passed since the last attempt (false for a component never counted). */
export function isActionInfoStale(counter: ActionCounter | undefined, limits: RecoveryLimits, now: number): boolean {
  if (!counter) return false;
  return now - counter.lastAttempt > windowSeconds(limits);
}

// --- Commands ------------------------------------------------------------------------------

export interface RecoveryAction {
  roleCommand: 'START' | 'INSTALL' | 'STOP' | 'CUSTOM_COMMAND';
  customCommand?: 'RESTART';
}

/** Which command brings a component from its current to its desired state under `type` (get_recovery_commands). */
export function recoveryAction(type: RecoveryType, status: ComponentRecoveryStatus): RecoveryAction | undefined {
  const { current, desired } = status;
  if (type === 'AUTO_START') return desired === STARTED && current === INSTALLED ? { roleCommand: 'START' } : undefined;
  if (type === 'AUTO_INSTALL_START') {
    if (desired === STARTED && current === INSTALLED) return { roleCommand: 'START' };
    if ((desired === STARTED || desired === INSTALLED) && current === INSTALL_FAILED) return { roleCommand: 'INSTALL' };
    return undefined;
  }
  if (desired !== current) {
    if (desired === STARTED && current === INSTALLED) return { roleCommand: 'START' };
    if ((desired === STARTED || desired === INSTALLED) && (current === INIT || current === INSTALL_FAILED)) return { roleCommand: 'INSTALL' };
    if (desired === INSTALLED && current === STARTED) return { roleCommand: 'STOP' };
    return undefined;
  }
  // Same state, stale configs: reinstall or restart.
  if (current === INSTALLED) return { roleCommand: 'INSTALL' };
  if (current === STARTED) return { roleCommand: 'CUSTOM_COMMAND', customCommand: 'RESTART' };
  return undefined;
}

/** The command the queue runs with auto_* files and no report to the server (RecoveryManager.get_command). */
export interface AutoCommand {
  clusterId?: string;
  roleCommand: string;
  commandType: 'AUTO_EXECUTION_COMMAND';
  taskId: number;
  commandId: number;
  role: string;
  serviceName?: string;
  /** RESTART, as the original puts it; commandParams carries it too, where the runner names the script's command from. */
  custom_command?: string;
  commandParams?: { custom_command: string };
  [key: string]: unknown;
}

export function autoCommand(state: RecoveryState, component: string, action: RecoveryAction, id: number): AutoCommand {
  const command: AutoCommand = { clusterId: state.clusterId, roleCommand: action.roleCommand, commandType: 'AUTO_EXECUTION_COMMAND', taskId: id, commandId: id, role: component };
  const service = state.services[component];
  if (service !== undefined) command.serviceName = service;
  if (action.customCommand) {
    command.custom_command = action.customCommand;
    command.commandParams = { custom_command: action.customCommand };
  }
  return command;
}

/**
 * get_recovery_commands: for each component that is configured, needs recovery and may be
 * tried now, the command that recovers it, its attempt charged. None while a component's
 * blueprint is being provisioned. `nextId` is the last id used; each command takes the next.
 */
export function recoveryCommands(state: RecoveryState, now: number, lastId: number): { state: RecoveryState; commands: AutoCommand[]; lastId: number; messages: string[] } {
  const commands: AutoCommand[] = [];
  const messages: string[] = [];
  let actions = state.actions;
  let id = lastId;
  if (!state.enabled) return { state, commands, lastId, messages };
  for (const component of Object.keys(state.statuses)) {
    if (!requiresRecovery(state, component)) continue;
    // may_execute starts the component's counter (so the report lists it from then on).
    if (!actions[component]) actions = { ...actions, [component]: { ...NEW_COUNTER } };
    if (!mayExecute(actions[component], state.limits, now)) continue;
    const action = recoveryAction(state.limits.type, state.statuses[component]);
    if (!action) continue;
    if (state.blueprintState[component] === 'IN_PROGRESS') {
      messages.push(`Recovery is paused for ${component}: its blueprint is being provisioned`);
      continue;
    }
    const charged = execute(actions[component], state.limits, now, component);
    actions = { ...actions, [component]: charged.counter };
    if (charged.warning) messages.push(charged.warning);
    id += 1;
    commands.push(autoCommand(state, component, action, id));
    messages.push(`Created recovery command ${action.roleCommand}${action.customCommand ? ` (${action.customCommand})` : ''} for component ${component}`);
  }
  return { state: { ...state, actions }, commands, lastId: id, messages };
}

// --- Report --------------------------------------------------------------------------------

export interface RecoveryReport {
  summary: 'DISABLED' | 'RECOVERABLE' | 'PARTIALLY_RECOVERABLE' | 'UNRECOVERABLE';
  componentReports?: Array<{ name: string; numAttempts: number; limitReached: boolean }>;
}

/** get_recovery_status (the original builds it and sends it nowhere; `status` shows it). */
export function recoveryReport(state: RecoveryState): RecoveryReport {
  if (!state.enabled) return { summary: 'DISABLED' };
  const componentReports = Object.entries(state.actions).map(([name, counter]) => ({
    name,
    numAttempts: counter.lifetimeCount,
    limitReached: state.limits.lifetimeMaxCount <= counter.lifetimeCount,
  }));
  const reached = componentReports.filter((r) => r.limitReached).length;
  const summary = reached > 0 && reached === componentReports.length ? 'UNRECOVERABLE' : reached > 0 ? 'PARTIALLY_RECOVERABLE' : 'RECOVERABLE';
  return { summary, componentReports };
}
