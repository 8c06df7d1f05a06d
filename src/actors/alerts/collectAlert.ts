// One run of a definition turned into the record /reports/alerts_status takes
// (base_alert.collect): run the kind's check; a check that throws is UNKNOWN with the error's
// text and the template '{0}'; otherwise the template is reporting.<state>.text, else the kind's
// default; the text is formatted Python-style (alertText.ts), and a template that cannot be
// formatted makes the result UNKNOWN with "There is a problem with the alert definition: ...".
import type { AlertCheckContext, AlertDefinition, AlertKind, AlertResult, AlertState } from './alertTypes.js';
import { formatAlertText } from './alertText.js';
import { pyStr } from './pyValue.js';

function reportingText(kind: AlertKind, definition: AlertDefinition, state: AlertState): string | undefined {
  const reporting = (kind.reporting ? kind.reporting(definition.source.reporting) : definition.source.reporting) as Record<string, unknown> | undefined;
  const key = state.toLowerCase();
  const template = reporting !== undefined && Object.hasOwn(reporting, key) ? reporting[key] : undefined;
  if (template === null || typeof template !== 'object' || !Object.hasOwn(template, 'text')) return undefined;
  const text = (template as Record<string, unknown>).text;
  return text === null || text === undefined ? undefined : String(text);
}

export async function collectAlert(kind: AlertKind, definition: AlertDefinition, context: AlertCheckContext, now: () => number = Date.now): Promise<AlertResult> {
  let state: AlertState;
  let args: unknown[];
  let template: string;
  try {
    const outcome = await kind.check(definition, context);
    state = outcome.state;
    args = outcome.args;
    template = reportingText(kind, definition, state) ?? kind.defaultText(state);
  } catch (err) {
    state = 'UNKNOWN';
    args = [err instanceof Error ? err.message : pyStr(err)];
    template = '{0}';
  }
  const text = formatAlertText(template, args);
  return {
    name: definition.name,
    clusterId: context.clusterId,
    timestamp: Math.trunc(now()),
    definitionId: definition.definitionId,
    state: text.definitionProblem ? 'UNKNOWN' : state,
    text: text.text,
  };
}
