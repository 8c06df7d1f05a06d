// `{{site/key}}` placeholders of alert definitions, resolved against the configuration
// dictionary as base_alert._get_configuration_value does:
// - a key without placeholders is a constant and comes back unchanged ("5" stays "5");
// - each `{{a/b}}` is looked up at /configurations/a/b, or at the path itself when it starts with '/';
// - any placeholder that is missing (or null) makes the whole result undefined;
// - a placeholder naming a whole dictionary ({{hdfs-site}}) returns that dictionary;
// - otherwise every placeholder is replaced by its value in the key text.
import { getOwn, type JsonObject } from '../../caches/json.js';
import { isPlainObject } from '../../util/plainObject.js';
import { pyTypeName } from './pyValue.js';

const PLACEHOLDER = /{{(\S+?)}}/g;

/** The value at a placeholder's path, or undefined when any step is missing. */
export function configurationValue(configurations: JsonObject, key: string): unknown {
  const path = key.startsWith('/') ? key : `/configurations/${key}`;
  let current: unknown = configurations;
  for (const step of path.split('/').filter((part) => part !== '')) {
    // Own keys only: a key from the server must never find Object.prototype members.
    if (!isPlainObject(current)) return undefined;
    current = getOwn(current, step);
    if (current === undefined) return undefined;
  }
  return current === null ? undefined : current;
}

/** A definition's key with its placeholders resolved (see the rules above). */
export function resolveConfigKey(configurations: JsonObject, key: unknown): unknown {
  if (key === undefined || key === null) return undefined;
  if (typeof key !== 'string') return key;
  const placeholders = [...key.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  if (placeholders.length === 0) return key;
  let resolved = key;
  for (const placeholder of placeholders) {
    const value = configurationValue(configurations, placeholder);
    if (value === undefined) return undefined;
    if (isPlainObject(value)) return value;
    // Python's str.replace refuses a non-string; the alert then ends UNKNOWN with this text.
    if (typeof value !== 'string') throw new TypeError(`replace() argument 2 must be str, not ${pyTypeName(value)}`);
    resolved = resolved.replaceAll(`{{${placeholder}}}`, () => value);
  }
  return resolved;
}

/** resolveConfigKey narrowed to a string (undefined for a dictionary or a missing value). */
export function resolveConfigString(configurations: JsonObject, key: unknown): string | undefined {
  const value = resolveConfigKey(configurations, key);
  return typeof value === 'string' ? value : undefined;
}
