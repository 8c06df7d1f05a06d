// METRIC and AMS thresholds (metric_alert._get_result): reporting.ok/warning/critical.value.
// When critical >= warning, bigger is worse: >= critical is CRITICAL, >= warning is WARNING;
// otherwise OK, unless an ok value is given and the value is below it (then UNKNOWN). When
// critical < warning the same rules run mirrored. Python 3 cannot order None (a missing
// threshold or value) or a str against a number: that raises, and the alert ends UNKNOWN with the
// exception's text, so the same happens here with Python's message.
import type { AlertReporting, AlertState } from './alertTypes.js';
import { pyNumber, pyTypeName } from './pyValue.js';

function thresholdOf(reporting: AlertReporting | undefined, state: 'ok' | 'warning' | 'critical'): unknown {
  const template = reporting?.[state] as Record<string, unknown> | undefined;
  return template !== undefined && Object.hasOwn(template, 'value') ? template.value : undefined;
}

/** a >= b (or <=) as Python 3 orders numbers; throws Python's TypeError text for anything else. */
function compare(a: unknown, op: '>=' | '<=' | '<' | '>', b: unknown): boolean {
  const x = pyNumber(a);
  const y = pyNumber(b);
  if (x === undefined || y === undefined) {
    if (typeof a === 'string' && typeof b === 'string') {
      return op === '>=' ? a >= b : op === '<=' ? a <= b : op === '<' ? a < b : a > b;
    }
    throw new TypeError(`'${op}' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
  }
  if (op === '>=') return x.value >= y.value;
  if (op === '<=') return x.value <= y.value;
  if (op === '<') return x.value < y.value;
  return x.value > y.value;
}

export function thresholdState(value: unknown, reporting: AlertReporting | undefined): AlertState {
  const ok = thresholdOf(reporting, 'ok');
  const warning = thresholdOf(reporting, 'warning');
  const critical = thresholdOf(reporting, 'critical');
  const up = compare(critical, '>=', warning);
  const worse = up ? '>=' : '<=';
  if (compare(value, worse, critical)) return 'CRITICAL';
  if (compare(value, worse, warning)) return 'WARNING';
  if (ok === undefined || ok === null) return 'OK';
  const okSide = up ? compare(value, '>=', ok) && compare(value, '<', warning) : compare(value, '<=', ok) && compare(value, '>', warning);
  return okSide ? 'OK' : 'UNKNOWN';
}
