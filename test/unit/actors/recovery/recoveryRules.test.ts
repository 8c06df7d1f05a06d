// The upstream TestRecoveryManager scenarios (same steps and numbers), against the pure rules:
// where the original reads its clock once per call, each call here is given that time.
import { describe, expect, it } from 'vitest';
import {
  applyConfig,
  applyHostLevelParams,
  commandFinished,
  configuredForRecovery,
  execute,
  INITIAL_RECOVERY_STATE,
  isActionInfoStale,
  mayExecute,
  recoveryAction,
  recoveryCommands,
  recoveryReport,
  requestedRecovery,
  requiresRecovery,
  serverCommandTaken,
  statusSeen,
  withCurrent,
  withDesired,
  type RecoveryState,
  type RecoveryType,
} from '../../../../src/actors/recovery/recoveryRules.js';

/** update_config(max, window, retry, lifetime, enabled, autoStartOnly, autoInstallStart). */
function configured(state: RecoveryState, max: number, window: number, retry: number, lifetime: number, enabled = true, autoStart = false, autoInstall = false): RecoveryState {
  const type: RecoveryType = autoStart ? 'AUTO_START' : autoInstall ? 'AUTO_INSTALL_START' : 'FULL';
  return applyConfig(state, { enabled, type, maxCount: max, windowMinutes: window, retryGapMinutes: retry, lifetimeMaxCount: lifetime }).state;
}
const components = (...items: Array<[string, string, string]>) => ({ recoveryConfig: { components: items.map(([component_name, service_name, desired_state]) => ({ component_name, service_name, desired_state })) } });
const withHostParams = (state: RecoveryState, params: unknown) => applyHostLevelParams(state, params).state;
const setStatus = (state: RecoveryState, component: string, current: string, desired: string): RecoveryState => ({ ...state, statuses: withDesired(withCurrent(state.statuses, component, current), component, desired) });

/** execute / may_execute on a state's counters, as the Python manager keeps them. */
function counters(state: RecoveryState) {
  let actions = state.actions;
  return {
    execute(component: string, now: number) {
      const result = execute(actions[component], state.limits, now, component);
      actions = { ...actions, [component]: result.counter };
      return result.executed;
    },
    mayExecute: (component: string, now: number) => mayExecute(actions[component], state.limits, now),
    get actions() {
      return actions;
    },
    set limitsOf(next: RecoveryState) {
      state = next;
    },
  };
}

describe('recovery rules (TestRecoveryManager)', () => {
  it('test_defaults: a fresh manager is off and recovers nothing', () => {
    const state = setStatus(INITIAL_RECOVERY_STATE, 'NODEMANAGER', 'INSTALLED', 'STARTED');
    expect(state.enabled).toBe(false);
    expect(requiresRecovery(state, 'NODEMANAGER')).toBe(false);
    expect(recoveryCommands(state, 1000, 0).commands).toEqual([]);
    expect(requestedRecovery(undefined).enabled).toBe(false);
  });

  it('test_sliding_window: validation, then count per window, retry gap and lifetime', () => {
    let state = configured(INITIAL_RECOVERY_STATE, 6, 60, 5, 12);
    expect(state.enabled).toBe(true);
    expect(configured(state, 0, 60, 5, 12).enabled).toBe(false);
    expect(configured(state, 6, 0, 5, 12).enabled).toBe(false);
    expect(configured(state, 6, 60, 0, 12).enabled).toBe(false);
    expect(configured(state, 6, 60, 1, 12).enabled).toBe(true);
    expect(configured(state, 6, 60, 61, 12).enabled).toBe(false);
    expect(configured(state, 6, 60, 5, 4).enabled).toBe(false);
    expect(applyConfig(state, { enabled: true, type: 'FULL', maxCount: 6, windowMinutes: 60, retryGapMinutes: 5, lifetimeMaxCount: 4 }).warning).toMatch(/max_lifetime_count/);

    // At most 2 in 5 minutes, at least 1 minute apart, 4 in all.
    state = configured(state, 2, 5, 1, 4);
    expect(state.enabled).toBe(true);
    const c = counters(state);
    expect([c.mayExecute('NODEMANAGER', 1000), c.mayExecute('NODEMANAGER', 1001), c.mayExecute('NODEMANAGER', 1002)]).toEqual([true, true, true]);
    expect(c.execute('NODEMANAGER', 1003)).toBe(true);
    expect(c.execute('NODEMANAGER', 1004)).toBe(false); // too soon
    expect(c.execute('NODEMANAGER', 1071)).toBe(true); // 60+ seconds later
    expect(c.execute('NODEMANAGER', 1150)).toBe(false); // 2 per window
    expect(c.mayExecute('NODEMANAGER', 1151)).toBe(false);
    expect(c.execute('DATANODE', 1152)).toBe(true);
    expect(c.mayExecute('NAMENODE', 1153)).toBe(true);
    expect(c.execute('NODEMANAGER', 1400)).toBe(true); // the window was reset
    expect(c.mayExecute('NODEMANAGER', 1401)).toBe(false); // too soon

    // 2 per 5 minutes, 5 in all.
    c.limitsOf = configured(state, 2, 5, 1, 5, true, true);
    expect(c.execute('NODEMANAGER2', 1500)).toBe(true);
    expect(c.mayExecute('NODEMANAGER2', 1571)).toBe(true);
    expect(c.execute('NODEMANAGER2', 1572)).toBe(true);
    expect(c.execute('NODEMANAGER2', 1653)).toBe(false); // max per window
    expect(c.execute('NODEMANAGER2', 1900)).toBe(true);
    expect(c.execute('NODEMANAGER2', 1971)).toBe(true);
    expect(c.execute('NODEMANAGER2', 2300)).toBe(true);
    expect(c.execute('NODEMANAGER2', 2301)).toBe(false); // lifetime reached
    expect(c.actions.NODEMANAGER2).toMatchObject({ lifetimeCount: 5, warnedThresholdReached: true });
  });

  it('test_recovery_required: FULL mode, one configured component', () => {
    let state = withHostParams(configured(INITIAL_RECOVERY_STATE, 12, 5, 1, 15), components(['NODEMANAGER', 'YARN', 'INSTALLED']));
    const needs = (current: string, desired: string) => requiresRecovery(setStatus(state, 'NODEMANAGER', current, desired), 'NODEMANAGER');
    expect(needs('INSTALLED', 'INSTALLED')).toBe(false);
    expect(needs('INSTALLED', 'STARTED')).toBe(true);
    expect(needs('STARTED', 'INSTALLED')).toBe(true);
    expect(needs('STARTED', 'STARTED')).toBe(false);
    expect(needs('INSTALLED', 'XYS')).toBe(false);
    expect(needs('INSTALLED', '')).toBe(false);
    expect(needs('INIT', 'INSTALLED')).toBe(true);
    expect(needs('INIT', 'STARTED')).toBe(true);

    // Nothing configured: never.
    state = configured(INITIAL_RECOVERY_STATE, 6, 60, 5, 12);
    for (const [current, desired] of [['INIT', 'INSTALLED'], ['INIT', 'START'], ['INSTALLED', 'START']]) {
      expect(requiresRecovery(setStatus(state, 'NODEMANAGER', current, desired), 'NODEMANAGER')).toBe(false);
    }
  });

  it('test_recovery_required2: only the components recoveryConfig names', () => {
    const on = configured(INITIAL_RECOVERY_STATE, 15, 5, 1, 16);
    let state = withHostParams(on, components(['NODEMANAGER', 'YARN', 'INSTALLED']));
    state = setStatus(setStatus(state, 'NODEMANAGER', 'INSTALLED', 'STARTED'), 'DATANODE', 'INSTALLED', 'STARTED');
    expect(requiresRecovery(state, 'NODEMANAGER')).toBe(true);
    expect(requiresRecovery(state, 'DATANODE')).toBe(false);

    const unconfigured = setStatus(setStatus(on, 'NODEMANAGER', 'INSTALLED', 'STARTED'), 'DATANODE', 'INSTALLED', 'STARTED');
    expect(requiresRecovery(unconfigured, 'NODEMANAGER')).toBe(false);
    expect(requiresRecovery(unconfigured, 'DATANODE')).toBe(false);
  });

  it('test_recovery_report: DISABLED, RECOVERABLE, PARTIALLY_RECOVERABLE, UNRECOVERABLE', () => {
    expect(recoveryReport(INITIAL_RECOVERY_STATE)).toEqual({ summary: 'DISABLED' });
    const state = configured(INITIAL_RECOVERY_STATE, 2, 5, 1, 4, true, true);
    expect(recoveryReport(state)).toEqual({ summary: 'RECOVERABLE', componentReports: [] });
    const c = counters(state);
    const report = () => recoveryReport({ ...state, actions: c.actions });
    c.execute('PUMA', 1000);
    expect(report()).toEqual({ summary: 'RECOVERABLE', componentReports: [{ name: 'PUMA', numAttempts: 1, limitReached: false }] });
    c.execute('PUMA', 1071);
    c.execute('LION', 1072);
    expect(report()).toEqual({
      summary: 'RECOVERABLE',
      componentReports: [
        { name: 'PUMA', numAttempts: 2, limitReached: false },
        { name: 'LION', numAttempts: 1, limitReached: false },
      ],
    });
    for (const [component, now] of [['PUMA', 1470], ['LION', 1471], ['PUMA', 1472], ['PUMA', 1543], ['LION', 1644]] as const) c.execute(component, now);
    expect(report()).toEqual({
      summary: 'PARTIALLY_RECOVERABLE',
      componentReports: [
        { name: 'PUMA', numAttempts: 4, limitReached: true },
        { name: 'LION', numAttempts: 3, limitReached: false },
      ],
    });
    c.execute('LION', 1815);
    expect(report()).toEqual({
      summary: 'UNRECOVERABLE',
      componentReports: [
        { name: 'PUMA', numAttempts: 4, limitReached: true },
        { name: 'LION', numAttempts: 4, limitReached: true },
      ],
    });
  });

  it('test_command_expiry: a START, none within the retry gap, a START again after it', () => {
    let state = withHostParams(configured(INITIAL_RECOVERY_STATE, 12, 5, 1, 15), components(['NODEMANAGER', 'YARN', 'INSTALLED']));
    state = setStatus(state, 'NODEMANAGER', 'INSTALLED', 'STARTED');
    const ask = (now: number) => {
      const result = recoveryCommands(state, now, 100);
      state = result.state;
      return result.commands;
    };
    const first = ask(1001);
    expect(first).toEqual([{ clusterId: undefined, roleCommand: 'START', commandType: 'AUTO_EXECUTION_COMMAND', taskId: 101, commandId: 101, role: 'NODEMANAGER', serviceName: 'YARN' }]);
    expect(ask(1105).map((c) => c.roleCommand)).toEqual(['START']);
    expect(ask(1106)).toEqual([]);
    expect(ask(1808).map((c) => c.roleCommand)).toEqual(['START']);
  });

  it('test_configured_for_recovery: each recoveryConfig replaces the list', () => {
    const on = configured(INITIAL_RECOVERY_STATE, 12, 5, 1, 15);
    let state = withHostParams(on, components(['A', 'A', 'INSTALLED'], ['B', 'B', 'INSTALLED']));
    expect([configuredForRecovery(state, 'A'), configuredForRecovery(state, 'B')]).toEqual([true, true]);
    state = withHostParams(state, components());
    expect([configuredForRecovery(state, 'A'), configuredForRecovery(state, 'B')]).toEqual([false, false]);
    state = withHostParams(state, components(['A', 'A', 'INSTALLED']));
    expect(['A', 'B', 'C'].map((c) => configuredForRecovery(state, c))).toEqual([true, false, false]);
    state = withHostParams(state, components(['A', 'A', 'INSTALLED'], ['D', 'D', 'INSTALLED'], ['F', 'F', 'INSTALLED']));
    expect(['A', 'B', 'C', 'D', 'E', 'F'].map((c) => configuredForRecovery(state, c))).toEqual([true, false, false, true, false, true]);
  });

  it('test_reset_if_window_passed_since_last_attempt', () => {
    const c = counters(configured(INITIAL_RECOVERY_STATE, 2, 5, 1, 4, true, true));
    c.execute('COMPONENT', 1000);
    expect(c.actions.COMPONENT.lastReset).toBe(1000);
    c.execute('COMPONENT', 1071);
    expect(c.actions.COMPONENT.lastReset).toBe(1000);
    c.execute('COMPONENT', 1372);
    expect(c.actions.COMPONENT.lastReset).toBe(1372);
  });

  it('test_is_action_info_stale', () => {
    const { limits } = configured(INITIAL_RECOVERY_STATE, 5, 60, 5, 16);
    const counter = { lastAttempt: 0, count: 0, lastReset: 0, lifetimeCount: 0, warnedLastAttempt: false, warnedLastReset: false, warnedThresholdReached: false };
    expect(isActionInfoStale(undefined, limits, 0)).toBe(false);
    expect(isActionInfoStale(counter, limits, 3600)).toBe(false);
    const tried = { ...counter, lastAttempt: 1, count: 1, lifetimeCount: 1 };
    expect(isActionInfoStale(tried, limits, 3601)).toBe(false);
    expect(isActionInfoStale(tried, limits, 3602)).toBe(true);
  });
});

describe('recovery rules (config, statuses, commands)', () => {
  it('reads cluster-env: type, enabled override, numbers with int() rules', () => {
    expect(requestedRecovery({ recovery_type: 'AUTO_START', recovery_max_count: '3', recovery_window_in_minutes: '10', recovery_retry_interval: '2', recovery_lifetime_max_count: '7' })).toEqual({
      enabled: true,
      type: 'AUTO_START',
      maxCount: 3,
      windowMinutes: 10,
      retryGapMinutes: 2,
      lifetimeMaxCount: 7,
    });
    expect(requestedRecovery({ recovery_type: 'AUTO_START', recovery_enabled: 'false' }).enabled).toBe(false);
    expect(requestedRecovery({ recovery_enabled: 'TRUE' })).toMatchObject({ enabled: true, type: 'FULL' });
    expect(requestedRecovery({ recovery_type: 'SOMETHING' }).enabled).toBe(false);
    expect(requestedRecovery({ recovery_type: 'FULL', recovery_max_count: '2.5' }).maxCount).toBe(6);
  });

  it('invalid limits keep the limits in force before and turn recovery off', () => {
    const on = configured(INITIAL_RECOVERY_STATE, 3, 10, 2, 7, true, true);
    const off = applyConfig(on, { enabled: true, type: 'FULL', maxCount: 0, windowMinutes: 60, retryGapMinutes: 5, lifetimeMaxCount: 12 });
    expect(off.state.enabled).toBe(false);
    expect(off.state.limits).toEqual(on.limits);
    expect(off.warning).toMatch(/max_count/);
  });

  it('allowed states per type and the command for each pair', () => {
    expect(recoveryAction('AUTO_START', { current: 'INSTALLED', desired: 'STARTED', staleConfig: false })).toEqual({ roleCommand: 'START' });
    expect(recoveryAction('AUTO_START', { current: 'INSTALL_FAILED', desired: 'STARTED', staleConfig: false })).toBeUndefined();
    expect(recoveryAction('AUTO_INSTALL_START', { current: 'INSTALL_FAILED', desired: 'INSTALLED', staleConfig: false })).toEqual({ roleCommand: 'INSTALL' });
    expect(recoveryAction('FULL', { current: 'STARTED', desired: 'INSTALLED', staleConfig: false })).toEqual({ roleCommand: 'STOP' });
    expect(recoveryAction('FULL', { current: 'INIT', desired: 'STARTED', staleConfig: false })).toEqual({ roleCommand: 'INSTALL' });
    expect(recoveryAction('FULL', { current: 'STARTED', desired: 'STARTED', staleConfig: true })).toEqual({ roleCommand: 'CUSTOM_COMMAND', customCommand: 'RESTART' });
    let state = withHostParams(configured(INITIAL_RECOVERY_STATE, 6, 60, 5, 12, true, true), components(['P', 'S', 'STARTED']));
    state = { ...state, clusterId: '2', statuses: withCurrent(state.statuses, 'P', 'INSTALL_FAILED') };
    expect(requiresRecovery(state, 'P')).toBe(false); // AUTO_START recovers INSTALLED only
    state = statusSeen(state, 'P', 'INSTALLED');
    expect(state.statuses.P.current).toBe('INSTALL_FAILED'); // kept until seen STARTED
    state = statusSeen(state, 'P', 'STARTED');
    expect(state.statuses.P.current).toBe('STARTED');
  });

  it('server commands set the desired state, results the current one', () => {
    let state = withHostParams(configured(INITIAL_RECOVERY_STATE, 6, 60, 5, 12), components(['P', 'S', 'INSTALLED']));
    state = serverCommandTaken(state, { commandType: 'EXECUTION_COMMAND', role: 'P', roleCommand: 'START' });
    expect(state.statuses.P.desired).toBe('STARTED');
    state = serverCommandTaken(state, { commandType: 'EXECUTION_COMMAND', role: 'P', roleCommand: 'STOP' });
    expect(state.statuses.P.desired).toBe('INSTALLED');
    state = serverCommandTaken(state, { commandType: 'EXECUTION_COMMAND', role: 'P', roleCommand: 'CUSTOM_COMMAND', customCommand: 'RESTART' });
    expect(state.statuses.P.desired).toBe('STARTED');
    expect(serverCommandTaken(state, { commandType: 'EXECUTION_COMMAND', role: 'Q', roleCommand: 'STOP' }).statuses.Q).toBeUndefined();
    state = commandFinished(state, { role: 'P', roleCommand: 'INSTALL' }, 'FAILED');
    expect(state.statuses.P.current).toBe('INSTALL_FAILED');
    state = commandFinished(state, { role: 'P', roleCommand: 'START' }, 'COMPLETED');
    expect(state.statuses.P.current).toBe('STARTED');
  });

  it('a RESTART carries custom_command; a component being provisioned by a blueprint is left alone', () => {
    let state = withHostParams(configured(INITIAL_RECOVERY_STATE, 6, 60, 5, 12), components(['P', 'S', 'STARTED']));
    state = { ...state, clusterId: '2', statuses: { P: { current: 'STARTED', desired: 'STARTED', staleConfig: true } } };
    expect(recoveryCommands(state, 5000, 7).commands).toEqual([
      { clusterId: '2', roleCommand: 'CUSTOM_COMMAND', commandType: 'AUTO_EXECUTION_COMMAND', taskId: 8, commandId: 8, role: 'P', serviceName: 'S', custom_command: 'RESTART', commandParams: { custom_command: 'RESTART' } },
    ]);
    state = withHostParams(state, { ...components(['P', 'S', 'STARTED']), blueprint_provisioning_state: { P: 'IN_PROGRESS' } });
    expect(recoveryCommands(state, 5000, 7).commands).toEqual([]);
  });
});
