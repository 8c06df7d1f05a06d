// Plain-JSON helpers for the caches: type guards, deep copy/freeze and the nested merge the
// original agent uses for metadata updates (Utils.update_nested).

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A deep copy of JSON data (unfrozen, sharing nothing with the source). */
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
 * (strings, numbers, arrays, null) replaces the target's value. Returns `target`.
 */
export function mergeNested(target: JsonObject, update: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(update)) {
    if (isPlainObject(value)) {
      const existing = target[key];
      target[key] = mergeNested(isPlainObject(existing) ? existing : {}, value);
    } else {
      target[key] = value;
    }
  }
  return target;
}
