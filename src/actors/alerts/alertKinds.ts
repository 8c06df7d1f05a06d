// Which kind checks a definition, by source.type (AlertSchedulerHandler.__json_to_callable).
// A type with no entry (AGGREGATE and SERVER run on the server; PERCENT is not an agent type)
// is not scheduled. SCRIPT and RECOVERY are added by their own modules.
import type { AlertKind } from './alertTypes.js';
import { portAlertKind } from './portAlert.js';
import { createWebAlertKind } from './webAlert.js';
import { createMetricAlertKind } from './metricAlert.js';
import { createAmsAlertKind } from './amsAlert.js';

export interface AlertKindOptions {
  /** The Python interpreter commands use ($PYTHON or python3), for METRIC/AMS value expressions. */
  python?: string;
  /** [security] ca_cert_path, for WEB and METRIC over https. */
  caCertFile?: string;
}

export type AlertKinds = ReadonlyMap<string, AlertKind>;

export function createAlertKinds(options: AlertKindOptions = {}): Map<string, AlertKind> {
  return new Map<string, AlertKind>([
    ['PORT', portAlertKind],
    ['WEB', createWebAlertKind({ caCertFile: options.caCertFile })],
    ['METRIC', createMetricAlertKind({ python: options.python, caCertFile: options.caCertFile })],
    ['AMS', createAmsAlertKind({ python: options.python })],
  ]);
}

/** The kind for a source type, or undefined when this agent does not run that type. */
export function alertKindFor(kinds: AlertKinds, sourceType: unknown): AlertKind | undefined {
  return typeof sourceType === 'string' ? kinds.get(sourceType) : undefined;
}
