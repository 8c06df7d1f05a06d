// JSON in and out with Python's int/float distinction (see pyValue.ts): `1.0` in a JMX or AMS
// answer is a float to the original agent (str() gives '1.0'), so it is read as a PyFloat; and
// what goes to a Python subprocess writes a PyFloat back as `1.0`.
import { randomUUID } from 'node:crypto';
import { PyFloat, toPyFloat } from './pyValue.js';

const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/** JSON.parse, except that a number written with a fraction or exponent stays a float. */
export function parsePyJson(text: string): unknown {
  // Float tokens outside strings become marked strings, which the reviver turns back.
  const marker = `\u0000float:${randomUUID()}:`;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) { out += ch; i++; continue; }
      const isFloat = m[1] !== undefined || m[2] !== undefined;
      out += isFloat ? JSON.stringify(marker + m[0]) : m[0];
      i += m[0].length;
    } else {
      out += ch;
      i++;
    }
  }
  return JSON.parse(out, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(marker) ? toPyFloat(Number(value.slice(marker.length))) : value);
}

/** JSON.stringify that writes a PyFloat as a float (`2.0`) so Python reads it back as one. */
export function stringifyPyJson(value: unknown): string {
  if (value instanceof PyFloat) {
    if (!Number.isFinite(value.value)) return 'null';
    const text = JSON.stringify(value.value);
    return /[.eE]/.test(text) ? text : `${text}.0`;
  }
  if (Array.isArray(value)) return `[${value.map((item) => stringifyPyJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const items = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .map(([k, item]) => `${JSON.stringify(k)}:${stringifyPyJson(item)}`);
    return `{${items.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
