// The RECOVERY alert (alerts/recovery_alert.py): how many times recovery ran a command for the
// definition's component within the current window. WARNING from reporting.warning.count
// (default 2), CRITICAL from reporting.critical.count (default 4) or once the lifetime limit
// was reached; counts a whole window old no longer count (unless the lifetime limit was hit).
// Arguments of the texts: [" since <lastReset>" or "", count, component].
import type { AlertDefinition, AlertKind, AlertOutcome, AlertState } from './alertTypes.js';
import type { RecoveryActionView } from '../recovery/recoveryView.js';

export const DEFAULT_WARNING_RECOVERIES = 2;
export const DEFAULT_CRITICAL_RECOVERIES = 4;
export const UNKNOWN_COMPONENT = 'UNKNOWN_COMPONENT';

const two = (n: number) => String(n).padStart(2, '0');

/** Python's str(datetime.fromtimestamp(seconds)) for whole seconds: local "YYYY-MM-DD HH:MM:SS". */
export function pythonLocalDateTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The thresholds of a definition: reporting.<state>.count when it is a number, else the defaults. */
export function recoveryThresholds(definition: AlertDefinition): { warning: number; critical: number } {
  const reporting = definition.source.reporting;
  const count = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
  return { warning: count(reporting?.warning?.count, DEFAULT_WARNING_RECOVERIES), critical: count(reporting?.critical?.count, DEFAULT_CRITICAL_RECOVERIES) };
}

/** The outcome for one component's counters (undefined: recovery never counted it). */
export function recoveryOutcome(definition: AlertDefinition, action: RecoveryActionView | undefined): AlertOutcome {
  const component = definition.componentName ?? UNKNOWN_COMPONENT;
  const { warning, critical } = recoveryThresholds(definition);
  const thresholdReached = action?.warnedThresholdReached ?? false;
  let times = 0;
  let since = '';
  if (action && (!action.stale || thresholdReached)) {
    times = action.count;
    since = ` since ${pythonLocalDateTime(action.lastReset)}`;
  }
  let state: AlertState;
  if (times >= critical || thresholdReached) state = 'CRITICAL';
  else if (times >= warning) state = 'WARNING';
  else state = 'OK';
  return { state, args: [since, times, component] };
}

/** The RECOVERY kind, reading the recovery actor's counters at each check. */
export function recoveryAlertKind(getActions: () => Record<string, RecoveryActionView>): AlertKind {
  return {
    async check(definition) {
      const actions = getActions();
      const component = definition.componentName ?? UNKNOWN_COMPONENT;
      return recoveryOutcome(definition, Object.prototype.hasOwnProperty.call(actions, component) ? actions[component] : undefined);
    },
    defaultText(state) {
      return state === 'OK' ? 'No recovery operations executed for {2}{0}.' : '{1} recovery operations executed for {2}{0}.';
    },
  };
}
