// METRIC: values read from a service's JMX servlet, an optional value expression over them, and
// thresholds on the result (metric_alert.py, MetricAlert + JmxMetric).
// - jmx.property_list "Bean/attr" entries are grouped by bean (first-seen order) and each bean is
//   one GET of http[s]://host:port/jmx?qry=Bean; values come in that grouped order;
// - a bean whose request or JSON fails adds no values; no values at all throws (UNKNOWN);
// - the computed value is appended to the values ({N+1} in texts); thresholds are checked
//   against it, or against the first value when there is no expression.
// Not copied: upstream's handler for the non-standard Refresh header calls a Python 2 method
// (getheader) and so never follows it under Python 3; it is not followed here either.
import type { AlertCheckContext, AlertDefinition, AlertKind, AlertOutcome } from './alertTypes.js';
import { chooseAlertUri, uriLookupKeys } from './alertUri.js';
import { hostFromUrl, portFromUrl } from './urlParts.js';
import { httpGet } from './httpGet.js';
import { kerberosRequired, kerberosUnsupportedOutcome } from './kerberosAlert.js';
import { computeValue } from './alertValue.js';
import { thresholdState } from './thresholds.js';
import { parsePyJson } from './pyJson.js';
import { pyRepr } from './pyValue.js';
import { getOwn, ownArray } from '../../caches/json.js';
import { isPlainObject } from '../../util/plainObject.js';

export const DEFAULT_METRIC_TIMEOUT_SECONDS = 5.0;

export interface MetricAlertOptions {
  /** The interpreter for value expressions that are not plain arithmetic. */
  python?: string;
  caCertFile?: string;
}

/** property_list grouped by bean, in first-seen order (JmxMetric.property_map). */
export function jmxPropertyMap(propertyList: unknown): Map<string, string[]> {
  const map = new Map<string, string[]>();
  if (!Array.isArray(propertyList)) throw new Error("'property_list' must be a list");
  for (const entry of propertyList) {
    const parts = String(entry).split('/');
    if (parts.length < 2) throw new Error('list index out of range');
    const attrs = map.get(parts[0]!) ?? [];
    attrs.push(parts[1]!);
    map.set(parts[0]!, attrs);
  }
  return map;
}

/** The values of one bean's attributes from its /jmx answer; [] when the answer is not usable JSON. */
export function jmxValues(body: string, bean: string, attrs: string[], url: string): unknown[] {
  let beans: unknown[] | undefined;
  try {
    beans = ownArray(parsePyJson(body), 'beans');
  } catch {
    return [];
  }
  const first = beans?.[0];
  if (beans === undefined || !isPlainObject(first)) return [];
  let data: Record<string, unknown> = first;
  const values: unknown[] = [];
  for (const attr of attrs) {
    if (!Object.hasOwn(data, attr)) {
      for (const item of beans) {
        if (isPlainObject(item) && getOwn(item, 'name') === bean) {
          if (!Object.hasOwn(item, attr)) throw new Error(`Unable to find ${attr} in JSON from ${url} `);
          data = item;
        }
      }
    }
    if (!Object.hasOwn(data, attr)) throw new Error(pyRepr(attr)); // Python's KeyError text
    values.push(getOwn(data, attr));
  }
  return values;
}

export function createMetricAlertKind(options: MetricAlertOptions = {}): AlertKind {
  async function check(definition: AlertDefinition, context: AlertCheckContext): Promise<AlertOutcome> {
    const jmx = definition.source.jmx;
    if (!isPlainObject(jmx)) throw new Error('Could not determine result. Specific metric collector is not defined.');
    const propertyMap = jmxPropertyMap(getOwn(jmx, 'property_list'));
    const keys = uriLookupKeys(definition.source.uri);
    if (keys === undefined) throw new Error('Could not determine result. URL(s) were not defined.');
    const alertUri = chooseAlertUri(keys, context.configurations, context);
    let host = hostFromUrl(alertUri.uri) ?? context.hostName;
    const port = portFromUrl(alertUri.uri) ?? 80;
    if (host.includes('0.0.0.0')) host = context.hostName;
    const scheme = alertUri.ssl ? 'https' : 'http';
    if (kerberosRequired(keys, context.configurations)) return kerberosUnsupportedOutcome(`${scheme}://${host}:${port}/jmx`);
    const timeoutMs = (keys.connectionTimeout ?? DEFAULT_METRIC_TIMEOUT_SECONDS) * 1000;

    const values: unknown[] = [];
    for (const [bean, attrs] of propertyMap) {
      const url = `${scheme}://${host}:${port}/jmx?qry=${bean}`;
      let body = '';
      try {
        const answer = await httpGet(url, { timeoutMs, followRedirects: true, readBody: true, caCertFile: options.caCertFile, signal: context.signal });
        // urlopen raises for anything but 2xx, which leaves the content empty.
        if (answer.status >= 200 && answer.status < 300) body = answer.body;
      } catch {
        if (context.signal.aborted) throw new Error('The check was cancelled');
      }
      values.push(...jmxValues(body, bean, attrs, url));
    }
    if (values.length === 0) throw new Error(`[Alert][${definition.name}] Unable to extract JSON from JMX response`);

    const expression = getOwn(jmx, 'value');
    const computed = typeof expression === 'string' ? await computeValue(expression, values, { python: options.python, signal: context.signal }) : null;
    values.push(computed);
    const state = thresholdState(computed === null || computed === undefined ? values[0] : computed, definition.source.reporting);
    return { state, args: values };
  }
  return { check, defaultText: () => '{0}' };
}
