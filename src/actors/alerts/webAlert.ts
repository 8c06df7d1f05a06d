// WEB: does the service's web UI answer, with which HTTP status, how fast (web_alert.py)?
// - status 0 (no answer): CRITICAL [0, url, 0, error]; a status in uri.acceptable_codes or below
//   400: OK [status, url, seconds]; any other: WARNING [status, url, seconds, error];
// - redirects are followed (urlopen does), the certificate of an https server is not verified
//   (see httpGet.ts), uri.connection_timeout (seconds, default 5) bounds each socket wait.
import { performance } from 'node:perf_hooks';
import type { AlertCheckContext, AlertDefinition, AlertKind, AlertOutcome } from './alertTypes.js';
import { chooseAlertUri, uriLookupKeys, type AlertUri } from './alertUri.js';
import { hostFromUrl, pathFromUrl, portFromUrl } from './urlParts.js';
import { httpGet, pythonErrorText } from './httpGet.js';
import { kerberosRequired, kerberosUnsupportedOutcome } from './kerberosAlert.js';
import { pyStr, toPyFloat } from './pyValue.js';

export const DEFAULT_WEB_TIMEOUT_SECONDS = 5;

export interface WebAlertOptions {
  /** [security] ca_cert_path: verify https servers against it (host names still unchecked). */
  caCertFile?: string;
}

/** The URL to GET: the URI itself when it is a URL, else scheme://host:port[/path] (_build_web_query). */
export function webAlertUrl(alertUri: AlertUri, hostName: string): string {
  const text = pyStr(alertUri.uri);
  let url: string;
  if (text.startsWith('http://') || text.startsWith('https://')) {
    url = text;
  } else {
    const path = text !== '' && text !== 'None' ? pathFromUrl(text) : undefined;
    const host = hostFromUrl(alertUri.uri) ?? hostName;
    const port = portFromUrl(alertUri.uri) ?? (alertUri.ssl ? 443 : 80);
    const scheme = alertUri.ssl ? 'https' : 'http';
    url = path ? `${scheme}://${host}:${port}/${path}` : `${scheme}://${host}:${port}`;
  }
  return url.replaceAll('0.0.0.0', hostName);
}

export function createWebAlertKind(options: WebAlertOptions = {}): AlertKind {
  async function check(definition: AlertDefinition, context: AlertCheckContext): Promise<AlertOutcome> {
    const keys = uriLookupKeys(definition.source.uri);
    if (keys === undefined) throw new Error('Could not determine result. URL(s) were not defined.');
    const alertUri = chooseAlertUri(keys, context.configurations, context);
    const url = webAlertUrl(alertUri, context.hostName);
    if (kerberosRequired(keys, context.configurations)) return kerberosUnsupportedOutcome(url);
    const timeoutSeconds = keys.connectionTimeout ?? DEFAULT_WEB_TIMEOUT_SECONDS;

    const start = performance.now();
    let status: number;
    let errorMessage: string | null = null;
    try {
      const answer = await httpGet(url, {
        timeoutMs: timeoutSeconds * 1000,
        followRedirects: true,
        readBody: false,
        caCertFile: options.caCertFile,
        signal: context.signal,
      });
      status = answer.status;
      // urlopen raises HTTPError for anything but 2xx once redirects are done; its str() is the text.
      if (status < 200 || status >= 300) errorMessage = `HTTP Error ${status}: ${answer.statusMessage}`;
    } catch (err) {
      const text = pythonErrorText(err);
      // urllib wraps errors of the connection phase in URLError ("<urlopen error ...>").
      const sent = (err as { afterConnect?: boolean }).afterConnect === true;
      return { state: 'CRITICAL', args: [0, url, 0, sent ? text : `<urlopen error ${text}>`] };
    }
    // Seconds (upstream divides a seconds value by 1000 again; that bug is not copied).
    const seconds = toPyFloat((performance.now() - start) / 1000);
    if (keys.acceptableCodes !== undefined && keys.acceptableCodes.includes(status)) return { state: 'OK', args: [status, url, seconds] };
    if (status < 400) return { state: 'OK', args: [status, url, seconds] };
    return { state: 'WARNING', args: [status, url, seconds, errorMessage] };
  }
  return {
    check,
    defaultText: (state) => (state === 'CRITICAL' ? 'Connection failed to {1}' : 'HTTP {0} response in {2:.4f} seconds'),
  };
}
