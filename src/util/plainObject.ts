// The one check for "a JSON object": what JSON.parse gives for {...}, not an array, null, or a
// class instance (a Date, a Map, a Buffer), whose fields are not data to read key by key.

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
