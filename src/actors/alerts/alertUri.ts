// The `uri` object of WEB, METRIC and AMS definitions (server/state/UriInfo.java) and the choice
// of the URI to check plus its SSL flag, as base_alert._lookup_uri_property_keys,
// _get_uri_from_structure, _get_uri_from_ha_structure and _check_uri_ssl_property do.
import type { JsonObject } from '../../caches/json.js';
import { getOwn } from '../../caches/json.js';
import { isPlainObject } from '../../util/plainObject.js';
import { resolveConfigKey } from './configLookup.js';

export interface UriLookupKeys {
  acceptableCodes?: number[];
  http?: string;
  https?: string;
  httpsProperty?: string;
  httpsPropertyValue?: string;
  defaultPort?: unknown;
  kerberosKeytab?: string;
  kerberosPrincipal?: string;
  haNameservice?: string;
  haAliasKey?: string;
  haHttpPattern?: string;
  haHttpsPattern?: string;
  /** Seconds; undefined when the definition has none (each kind has its default). */
  connectionTimeout?: number;
}

/** The chosen URI (a string, or the default_port as given) and whether it is to be reached over SSL. */
export interface AlertUri {
  uri: unknown;
  ssl: boolean;
}

export interface UriHost {
  hostName: string;
  publicHostName: string;
}

const HA_NAMESERVICE = '{{ha-nameservice}}';
const HA_ALIAS = '{{alias}}';

function own(obj: JsonObject, key: string): unknown {
  const value = getOwn(obj, key);
  return value === null ? undefined : value;
}

function optionalString(obj: JsonObject, key: string): string | undefined {
  const value = own(obj, key);
  return value === undefined ? undefined : String(value);
}

/** The lookup keys of a `uri` object; undefined when the source has no uri object. */
export function uriLookupKeys(uri: unknown): UriLookupKeys | undefined {
  if (!isPlainObject(uri)) return undefined;
  const ha = own(uri, 'high_availability');
  const haObject = isPlainObject(ha) ? ha : {};
  // The Java UriInfo names this field only for Gson, so through Jackson it probably arrives as
  // acceptableCodes: both spellings are read.
  const codes = own(uri, 'acceptable_codes') ?? own(uri, 'acceptableCodes');
  const timeout = own(uri, 'connection_timeout');
  return {
    acceptableCodes: Array.isArray(codes) ? codes.map(Number).filter((code) => Number.isFinite(code)) : undefined,
    http: optionalString(uri, 'http'),
    https: optionalString(uri, 'https'),
    httpsProperty: optionalString(uri, 'https_property'),
    httpsPropertyValue: optionalString(uri, 'https_property_value'),
    defaultPort: own(uri, 'default_port'),
    kerberosKeytab: optionalString(uri, 'kerberos_keytab'),
    kerberosPrincipal: optionalString(uri, 'kerberos_principal'),
    haNameservice: optionalString(haObject, 'nameservice'),
    haAliasKey: optionalString(haObject, 'alias_key'),
    haHttpPattern: optionalString(haObject, 'http_pattern'),
    haHttpsPattern: optionalString(haObject, 'https_pattern'),
    // 0, a negative or a non-number would be no timeout at all in Node: the kind's default.
    connectionTimeout: timeout !== undefined && Number.isFinite(Number(timeout)) && Number(timeout) > 0 ? Number(timeout) : undefined,
  };
}

/** SSL is on only when https_property resolves and equals https_property_value (resolved too). */
export function uriSslEnabled(keys: UriLookupKeys, configurations: JsonObject): boolean {
  const property = resolveConfigKey(configurations, keys.httpsProperty);
  if (property === undefined) return false;
  const expected = resolveConfigKey(configurations, keys.httpsPropertyValue);
  return property === expected;
}

/** The URI to check: the HA form matching this host first, then https/http, then default_port. */
export function chooseAlertUri(keys: UriLookupKeys, configurations: JsonObject, host: UriHost): AlertUri {
  if (keys.haNameservice !== undefined || keys.haAliasKey !== undefined) {
    const haUri = haAlertUri(keys, configurations, host);
    if (haUri !== undefined) return haUri;
  }
  const httpUri = resolveConfigKey(configurations, keys.http);
  const httpsUri = resolveConfigKey(configurations, keys.https);
  if (httpUri === undefined && httpsUri === undefined) {
    if (keys.defaultPort !== undefined) return { uri: keys.defaultPort, ssl: false };
    throw new Error('Could not determine result. Either the http or https URI must be specified.');
  }
  if (httpsUri !== undefined && (httpUri === undefined || uriSslEnabled(keys, configurations))) {
    return { uri: httpsUri, ssl: true };
  }
  return { uri: httpUri, ssl: false };
}

/** The HA URI whose value names this host, or undefined when the definition is not HA here. */
export function haAlertUri(keys: UriLookupKeys, configurations: JsonObject, host: UriHost): AlertUri | undefined {
  const aliasKey = keys.haAliasKey;
  if (aliasKey === undefined) return undefined;
  const nameservice = resolveConfigKey(configurations, keys.haNameservice);
  // nameservice (or null for "none") -> its alias list text
  const aliasesByNameservice = new Map<string | null, unknown>();
  if (keys.haNameservice !== undefined) {
    if (typeof nameservice !== 'string') return undefined;
    for (const ns of nameservice.split(',').filter((part) => part !== '')) {
      const aliases = resolveConfigKey(configurations, aliasKey.replaceAll(HA_NAMESERVICE, ns));
      if (aliases !== undefined && aliases !== '') aliasesByNameservice.set(ns, aliases);
    }
    if (aliasesByNameservice.size === 0) return undefined; // upstream logs a warning
  } else {
    const aliases = resolveConfigKey(configurations, aliasKey);
    if (aliases === undefined) return undefined;
    aliasesByNameservice.set(null, aliases);
  }
  const ssl = uriSslEnabled(keys, configurations);
  const pattern = ssl ? keys.haHttpsPattern : keys.haHttpPattern;
  if (pattern === undefined) return undefined; // upstream logs a warning
  if (pattern.includes(HA_NAMESERVICE) && nameservice === undefined) return undefined;
  const hostName = host.hostName.toLowerCase();
  const publicHostName = host.publicHostName.toLowerCase();
  for (const [ns, aliases] of aliasesByNameservice) {
    if (typeof aliases !== 'string') continue;
    for (const alias of aliases.split(',')) {
      const nsPattern = ns === null ? pattern : pattern.replaceAll(HA_NAMESERVICE, ns);
      const value = resolveConfigKey(configurations, nsPattern.replaceAll(HA_ALIAS, alias.trim()));
      if (typeof value !== 'string') continue;
      const lower = value.toLowerCase();
      if (lower.includes(hostName) || lower.includes(publicHostName)) return { uri: value, ssl };
    }
  }
  return undefined;
}
