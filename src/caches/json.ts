// Plain-JSON helpers for the caches: type guards, deep copy/freeze, own-property access and the
// nested merge the original agent uses for metadata updates (Utils.update_nested).
//
// Keys from the server are data. Rule for the whole cache code: a key that comes from a message
// (cluster ids, config/param keys, host and component fields) is only ever read as an OWN property
// (getOwn/hasOwn, never `obj[key]`, which would find Object.prototype members such as
// `constructor` or the `__proto__` accessor) and only ever written by defining an OWN data property
// (setOwn/assignOwn, never `obj[key] = value` or Object.assign, which would run the `__proto__`
// setter or write through `constructor` onto Object). So `__proto__`, `constructor` and
// `prototype` are accepted and stored as ordinary own keys of the cache data, faithfully as the
// server sent them. JSON.stringify writes such own keys and JSON.parse reads them back as own
// keys, and structuredClone, object spread and Object.fromEntries keep them own, so the persisted
// files round-trip.

import { isPlainObject } from '../util/plainObject.js';

/** What util/plainObject.ts's isPlainObject narrows to. */
export type JsonObject = Record<string, unknown>;

// Still imported from here by src/actors/commands/ (commandJson, runningCommands).

/** Whether `obj` has `key` as an own property (inherited members such as `constructor` do not count). */
export function hasOwn(obj: object, key: string): boolean {
  return Object.hasOwn(obj, key);
}

/** `obj[key]` if it is an own property, else undefined (never an inherited Object.prototype member). */
export function getOwn(obj: object, key: string): unknown {
  return Object.hasOwn(obj, key) ? (obj as JsonObject)[key] : undefined;
}

/** `obj[key]` when obj is a plain object and the own value is a plain object, else undefined. */
export function ownObject(obj: unknown, key: string): JsonObject | undefined {
  const value = isPlainObject(obj) ? getOwn(obj, key) : undefined;
  return isPlainObject(value) ? value : undefined;
}

/** `obj[key]` when obj is a plain object and the own value is an array, else undefined. */
export function ownArray(obj: unknown, key: string): unknown[] | undefined {
  const value = isPlainObject(obj) ? getOwn(obj, key) : undefined;
  return Array.isArray(value) ? value : undefined;
}

/** `obj[key]` when obj is a plain object and the own value is a string, else undefined. */
export function ownString(obj: unknown, key: string): string | undefined {
  const value = isPlainObject(obj) ? getOwn(obj, key) : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Sets `obj[key] = value` as an own, enumerable, writable, configurable data property, even for
 * `__proto__` (no prototype change) or a key an ancestor defines (no setter runs). Returns `value`.
 */
export function setOwn<T>(obj: object, key: string, value: T): T {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return value;
}

/** Object.assign(target, source) for JSON data, copying source's own enumerable keys with setOwn. */
export function assignOwn(target: JsonObject, source: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(source)) setOwn(target, key, value);
  return target;
}

/** A deep copy of JSON data (unfrozen, sharing nothing with the source; own `__proto__` keys stay own keys). */
export function deepCopy<T>(value: T): T {
  return structuredClone(value);
}

/** Freezes JSON data all the way down, like the original's ImmutableDictionary. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}

/**
 * Merges `update` into `target` in place: nested objects are merged key by key, anything else
 * (strings, numbers, arrays, null) replaces the target's value. Returns `target`. Keys are read
 * and written as own properties only (see the rule above), so `__proto__` & co. merge as data.
 */
export function mergeNested(target: JsonObject, update: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(update)) {
    if (isPlainObject(value)) {
      const existing = getOwn(target, key);
      setOwn(target, key, mergeNested(isPlainObject(existing) ? existing : {}, value));
    } else {
      setOwn(target, key, value);
    }
  }
  return target;
}
