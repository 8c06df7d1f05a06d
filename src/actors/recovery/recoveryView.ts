// What the rest of the agent reads of the recovery actor: each component's attempt counters
// with whether they are a whole window old (for the RECOVERY alert), and the recovery report
// (for `status`; the original builds it and sends it nowhere).
import type { AnyActorRef } from 'xstate';
import { isActionInfoStale, recoveryReport, type ActionCounter, type RecoveryReport, type RecoveryState } from './recoveryRules.js';

export interface RecoveryActionView extends ActionCounter {
  /** is_action_info_stale: a whole window has passed since the last attempt. */
  stale: boolean;
}

export function actionViews(rules: RecoveryState, nowSeconds: number): Record<string, RecoveryActionView> {
  return Object.fromEntries(Object.entries(rules.actions).map(([component, counter]) => [component, { ...counter, stale: isActionInfoStale(counter, rules.limits, nowSeconds) }]));
}

const rulesOf = (actor: AnyActorRef | undefined): RecoveryState | undefined => (actor?.getSnapshot() as { context?: { rules?: RecoveryState } } | undefined)?.context?.rules;

/** The counters of a running recovery actor (system.get(RECOVERY_ID)); empty without one. */
export function recoveryActionsOf(actor: AnyActorRef | undefined, nowMs: number = Date.now()): Record<string, RecoveryActionView> {
  const rules = rulesOf(actor);
  return rules ? actionViews(rules, Math.floor(nowMs / 1000)) : {};
}

export function recoveryReportOf(actor: AnyActorRef | undefined): RecoveryReport {
  const rules = rulesOf(actor);
  return rules ? recoveryReport(rules) : { summary: 'DISABLED' };
}
