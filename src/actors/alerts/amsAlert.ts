// AMS: a host's metrics from the Ambari Metrics collector over the last `interval` minutes, a
// value expression per data point, an aggregate (`compute`) and thresholds on it (ams_alert.py).
// The request is plain HTTP (no redirects) to /ws/v1/timeline/metrics on the uri's port, 6188
// by default, whatever the SSL flag says, as upstream does.
import http from 'node:http';
import type { AlertCheckContext, AlertDefinition, AlertKind, AlertOutcome } from './alertTypes.js';
import { chooseAlertUri, uriLookupKeys } from './alertUri.js';
import { hostFromUrl, portFromUrl } from './urlParts.js';
import { computePoints } from './alertValue.js';
import { thresholdState } from './thresholds.js';
import { parsePyJson } from './pyJson.js';
import { HttpTimeoutError } from './httpGet.js';
import { pyNumber, pyRepr, pyStr, toPyFloat } from './pyValue.js';
import { getOwn } from '../../caches/json.js';
import { isPlainObject } from '../../util/plainObject.js';

export const DEFAULT_AMS_PORT = 6188;
export const DEFAULT_AMS_TIMEOUT_SECONDS = 5.0;

export interface AmsAlertOptions {
  python?: string;
  /** The clock (ms), for the query's time range. */
  now?: () => number;
}

/** ambari_commons.aggregate_functions, by the name `ams.compute` gives. */
export const AMS_COMPUTE: Record<string, (points: number[]) => number | ReturnType<typeof toPyFloat>> = {
  mean: (points) => (points.length < 1 ? 0 : toPyFloat(sum(points) / points.length)),
  sample_standard_deviation: (points) => sampleStandardDeviation(points),
  sample_standard_deviation_percentage: (points) => {
    const mean = points.length < 1 ? 0 : sum(points) / points.length;
    if (mean === 0) return 0; // ZeroDivisionError upstream gives 0
    return toPyFloat((numberOf(sampleStandardDeviation(points)) / mean) * 100);
  },
  count: (points) => points.length,
};

function sum(points: number[]): number {
  return points.reduce((total, point) => total + point, 0);
}

function numberOf(value: number | ReturnType<typeof toPyFloat>): number {
  return typeof value === 'number' ? value : value.value;
}

function sampleStandardDeviation(points: number[]): number | ReturnType<typeof toPyFloat> {
  if (points.length < 2) return 0;
  const mean = sum(points) / points.length;
  const variance = points.reduce((total, point) => total + (point - mean) ** 2, 0) / (points.length - 1);
  return toPyFloat(Math.sqrt(variance));
}

function required(ams: Record<string, unknown>, key: string): unknown {
  if (!Object.hasOwn(ams, key)) throw new Error(pyRepr(key)); // KeyError upstream
  return ams[key];
}

/** The query path and parameters (AmsAlert._load_metric). */
export function amsQueryPath(metricList: unknown[], appId: unknown, hostName: string, intervalMinutes: number, nowMs: number): string {
  const endTime = Math.floor(nowMs / 1000) * 1000;
  const params = new URLSearchParams({
    metricNames: metricList.map(pyStr).join(','),
    appId: pyStr(appId),
    hostname: hostName,
    startTime: String(endTime - 60 * 1000 * intervalMinutes),
    endTime: String(endTime),
    precision: 'seconds',
    grouped: 'true',
  });
  return `/ws/v1/timeline/metrics?${params.toString()}`;
}

/** GET without redirects; the status is null when there was no answer (http.client's case). */
function amsGet(host: string, port: number, path: string, timeoutMs: number, signal: AbortSignal): Promise<{ status: number | null; body: string }> {
  return new Promise((resolve) => {
    let status: number | null = null;
    const req = http.get({ host, port, path, timeout: timeoutMs, signal, agent: false }, (res) => {
      status = res.statusCode ?? null;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status, body: '' }));
    });
    req.on('timeout', () => req.destroy(new HttpTimeoutError()));
    req.on('error', () => resolve({ status, body: '' }));
  });
}

/** The series of metric_list found in the answer, in metric_list order. */
export function amsSeries(body: string, metricList: unknown[]): unknown[] {
  let json: unknown;
  try {
    json = parsePyJson(body);
  } catch {
    return [];
  }
  if (!isPlainObject(json) || !Object.hasOwn(json, 'metrics')) throw new Error("'metrics'");
  const byName = new Map<unknown, unknown>();
  const metrics = getOwn(json, 'metrics');
  for (const entry of Array.isArray(metrics) ? metrics : []) {
    if (isPlainObject(entry)) byName.set(getOwn(entry, 'metricname'), getOwn(entry, 'metrics'));
  }
  return metricList.filter((name) => byName.has(name)).map((name) => byName.get(name));
}

export function createAmsAlertKind(options: AmsAlertOptions = {}): AlertKind {
  const now = options.now ?? Date.now;
  async function check(definition: AlertDefinition, context: AlertCheckContext): Promise<AlertOutcome> {
    const ams = definition.source.ams;
    if (!isPlainObject(ams)) throw new Error('Could not determine result. Specific metric collector is not defined.');
    const metricList = required(ams, 'metric_list');
    const interval = Number(required(ams, 'interval'));
    const appId = required(ams, 'app_id');
    const minimumValue = required(ams, 'minimum_value');
    if (!Array.isArray(metricList)) throw new Error("'metric_list' must be a list");
    const keys = uriLookupKeys(definition.source.uri);
    if (keys === undefined) throw new Error('Could not determine result. URL(s) were not defined.');
    const alertUri = chooseAlertUri(keys, context.configurations, context);
    let host = hostFromUrl(alertUri.uri) ?? context.hostName;
    const port = portFromUrl(alertUri.uri) ?? DEFAULT_AMS_PORT;
    if (host.includes('0.0.0.0')) host = context.hostName;
    const timeoutMs = (keys.connectionTimeout ?? DEFAULT_AMS_TIMEOUT_SECONDS) * 1000;

    const path = amsQueryPath(metricList, appId, context.hostName, interval, now());
    const answer = await amsGet(host, port, path, timeoutMs, context.signal);
    const series = answer.body === '' ? [] : amsSeries(answer.body, metricList);
    if (series.length === 0) {
      if (answer.status !== 200 && answer.status !== 307) {
        return { state: 'UNKNOWN', args: [`HTTP ${answer.status === null ? 'None' : answer.status} response (metrics unavailable)`] };
      }
      throw new Error(`[Alert][${definition.name}] Unable to extract JSON from HTTP response`);
    }

    const expression = getOwn(ams, 'value');
    let points: unknown[] | undefined;
    if (typeof expression === 'string') {
      points = await computePoints(expression, series, { python: options.python, signal: context.signal });
      const minimum = pyNumber(minimumValue);
      if (minimum !== undefined && minimum.value !== 0) {
        points = points.filter((point) => (pyNumber(point)?.value ?? Number.NaN) > minimum.value);
      }
    }
    const computeName = getOwn(ams, 'compute');
    let result: unknown = null;
    if (typeof computeName === 'string') {
      const compute = AMS_COMPUTE[computeName.trim()];
      if (compute === undefined) throw new Error(`name '${computeName.trim()}' is not defined`);
      if (points === undefined) throw new Error("object of type 'NoneType' has no len()");
      result = compute(points.map((point) => pyNumber(point)?.value ?? Number.NaN));
    }
    return { state: thresholdState(result, definition.source.reporting), args: [result] };
  }
  return { check, defaultText: () => '{0}' };
}
