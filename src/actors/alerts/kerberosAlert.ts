// WEB and METRIC checks of a kerberized service go through curl with kinit upstream
// (curl_krb_request). That path is not implemented here: when it would be taken, the check ends
// UNKNOWN with a text that says so, instead of a misleading 401 from a plain request.
import type { JsonObject } from '../../caches/json.js';
import type { AlertOutcome } from './alertTypes.js';
import type { UriLookupKeys } from './alertUri.js';
import { resolveConfigKey } from './configLookup.js';

export const KERBEROS_UNSUPPORTED_TEXT = 'Kerberos (SPNEGO) alerts are not supported yet by this agent';

/** Whether upstream would use curl + kinit: principal and keytab resolve and cluster-env/security_enabled is "true". */
export function kerberosRequired(keys: UriLookupKeys, configurations: JsonObject): boolean {
  if (keys.kerberosPrincipal === undefined || keys.kerberosKeytab === undefined) return false;
  const principal = resolveConfigKey(configurations, keys.kerberosPrincipal);
  const keytab = resolveConfigKey(configurations, keys.kerberosKeytab);
  const securityEnabled = resolveConfigKey(configurations, '{{cluster-env/security_enabled}}');
  return principal !== undefined && keytab !== undefined && String(securityEnabled).toLowerCase() === 'true';
}

export function kerberosUnsupportedOutcome(url: string): AlertOutcome {
  return { state: 'UNKNOWN', args: [`${KERBEROS_UNSUPPORTED_TEXT} (${url})`] };
}
