// A small model of how Jackson 2.12 (the version Ambari's pom pins) reads a JSON body into a
// Java class with Spring's MappingJackson2MessageConverter, which the Java server uses for every
// @MessageMapping argument. Only what decides accept/reject is modelled, with Jackson's default
// features as that converter sets them:
//  - FAIL_ON_UNKNOWN_PROPERTIES is turned off by the converter: unknown properties are ignored
//    (returned here, so the dev server can log them);
//  - ALLOW_COERCION_OF_SCALARS (on): "12" reads as an int, 12 or true reads as a String;
//  - ACCEPT_FLOAT_AS_INT (on): 1.5 reads as the int 1 (so a fractional number is NOT refused);
//  - FAIL_ON_NULL_FOR_PRIMITIVES (off): null reads as 0 / false;
//  - READ_UNKNOWN_ENUM_VALUES_AS_NULL (off): an unknown enum name is refused;
//  - ACCEPT_SINGLE_VALUE_AS_ARRAY / UNWRAP_SINGLE_VALUE_ARRAYS (off): no array <-> scalar.
// A refusal is worded as Jackson words it (without its "at [Source: ...]" location).

/** A Java type as Jackson sees it. */
export type JavaType =
  | 'String'
  | 'int'
  | 'long'
  | 'Integer'
  | 'Long'
  | 'boolean'
  | 'Boolean'
  | 'double'
  /** java.lang.Object (or a raw Map): anything. */
  | 'Object'
  | { enumClass: string; values: readonly string[] }
  | { list: JavaType }
  | { map: JavaType; keys?: 'String' | 'Long' }
  | JavaClass;

/** A bean: its Java class name and its JSON properties (the names Jackson 2 reads). */
export interface JavaClass {
  javaClass: string;
  properties: Record<string, JavaType>;
}

/** `exception`: the Jackson exception class that message belongs to. */
export type ReadResult = { ok: true; unknown: string[] } | { ok: false; error: string; exception: string };

const MISMATCHED = 'com.fasterxml.jackson.databind.exc.MismatchedInputException';
const INVALID_FORMAT = 'com.fasterxml.jackson.databind.exc.InvalidFormatException';
const COERCION = 'com.fasterxml.jackson.core.exc.InputCoercionException';

/** Thrown inside the walk; becomes { ok: false }. */
class Refusal extends Error {
  constructor(
    message: string,
    readonly exception = INVALID_FORMAT,
  ) {
    super(message);
  }
}

const INT_RANGE = { int: [-2147483648, 2147483647], Integer: [-2147483648, 2147483647] } as const;

/** Reads `value` as Jackson would read it into `type`: ok (with unknown property paths) or Jackson's error text. */
export function readAs(type: JavaType, value: unknown): ReadResult {
  const unknown: string[] = [];
  try {
    walk(type, value, [], unknown);
    return { ok: true, unknown };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, error: err.message, exception: err.exception };
    throw err;
  }
}

/** How Jackson names a JSON token in its messages. */
function token(value: unknown): { shape: string; token: string } {
  if (Array.isArray(value)) return { shape: 'Array value', token: 'START_ARRAY' };
  if (value === null) return { shape: 'Null value', token: 'VALUE_NULL' };
  switch (typeof value) {
    case 'object':
      return { shape: 'Object value', token: 'START_OBJECT' };
    case 'string':
      return { shape: 'String value', token: 'VALUE_STRING' };
    case 'boolean':
      return { shape: 'Boolean value', token: value ? 'VALUE_TRUE' : 'VALUE_FALSE' };
    default:
      return Number.isInteger(value) ? { shape: 'Integer value', token: 'VALUE_NUMBER_INT' } : { shape: 'Floating-point value', token: 'VALUE_NUMBER_FLOAT' };
  }
}

function typeName(type: JavaType): string {
  if (typeof type === 'string') {
    return { String: 'java.lang.String', Integer: 'java.lang.Integer', Long: 'java.lang.Long', Boolean: 'java.lang.Boolean', Object: 'java.lang.Object' }[type as string] ?? type;
  }
  if ('javaClass' in type) return type.javaClass;
  if ('enumClass' in type) return type.enumClass;
  if ('list' in type) return `java.util.ArrayList<${typeName(type.list)}>`;
  return `java.util.TreeMap<java.lang.${type.keys ?? 'String'},${typeName(type.map)}>`;
}

/** Jackson's reference chain: `Register["hardwareProfile"]->...`. */
type Step = { owner: string; key: string | number };

function chain(path: Step[]): string {
  if (path.length === 0) return '';
  const steps = path.map(({ owner, key }) => `${owner}[${typeof key === 'number' ? key : JSON.stringify(key)}]`);
  return ` (through reference chain: ${steps.join('->')})`;
}

function mismatch(type: JavaType, value: unknown, path: Step[]): Refusal {
  const { shape, token: name } = token(value);
  return new Refusal(`Cannot deserialize value of type \`${typeName(type)}\` from ${shape} (token \`JsonToken.${name}\`)${chain(path)}`, MISMATCHED);
}

function walk(type: JavaType, value: unknown, path: Step[], unknown: string[]): void {
  if (typeof type === 'string') return scalar(type, value, path);
  if (value === null) return; // null is a valid value for every reference type
  if ('enumClass' in type) {
    if (typeof value === 'string') {
      if (type.values.includes(value)) return;
      throw new Refusal(`Cannot deserialize value of type \`${type.enumClass}\` from String ${JSON.stringify(value)}: not one of the values accepted for Enum class: [${type.values.join(', ')}]${chain(path)}`);
    }
    // FAIL_ON_NUMBERS_FOR_ENUMS is off: an index reads as the enum constant at that position.
    if (typeof value === 'number' && Number.isInteger(value)) {
      if (value >= 0 && value < type.values.length) return;
      throw new Refusal(`Cannot deserialize value of type \`${type.enumClass}\` from number ${value}: index value outside legal index range [0..${type.values.length - 1}]${chain(path)}`);
    }
    throw mismatch(type, value, path);
  }
  if ('list' in type) {
    if (!Array.isArray(value)) throw mismatch(type, value, path);
    value.forEach((item, index) => walk(type.list, item, [...path, { owner: 'java.util.ArrayList', key: index }], unknown));
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw mismatch(type, value, path);
  const object = value as Record<string, unknown>;
  if ('map' in type) {
    for (const [key, item] of Object.entries(object)) {
      if (type.keys === 'Long' && !/^[-+]?\d+$/.test(key.trim())) {
        throw new Refusal(`Cannot deserialize Map key of type \`java.lang.Long\` from String ${JSON.stringify(key)}: not a valid representation${chain(path)}`);
      }
      walk(type.map, item, [...path, { owner: 'java.util.TreeMap', key }], unknown);
    }
    return;
  }
  for (const [key, item] of Object.entries(object)) {
    const property = type.properties[key];
    const step = { owner: type.javaClass, key };
    if (property === undefined) unknown.push(pathText([...path, step]));
    else walk(property, item, [...path, step], unknown);
  }
}

function pathText(path: Step[]): string {
  return path.map(({ key }) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('').replace(/^\./, '');
}

function scalar(type: Extract<JavaType, string>, value: unknown, path: Step[]): void {
  if (type === 'Object' || value === null) return;
  switch (type) {
    case 'String':
      // Any scalar reads as its text; objects and arrays do not.
      if (typeof value === 'object') throw mismatch(type, value, path);
      return;
    case 'boolean':
    case 'Boolean':
      if (typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value))) return;
      if (typeof value === 'string') {
        if (['true', 'false', ''].includes(value.trim())) return;
        throw new Refusal(`Cannot deserialize value of type \`${type === 'Boolean' ? 'java.lang.Boolean' : 'boolean'}\` from String ${JSON.stringify(value)}: only "true" or "false" recognized${chain(path)}`);
      }
      throw mismatch(type, value, path);
    case 'double':
      if (typeof value === 'number') return;
      if (typeof value === 'string' && (value.trim() === '' || Number.isFinite(Number(value)) || ['NaN', 'Infinity', '-Infinity'].includes(value))) return;
      if (typeof value === 'string') throw new Refusal(`Cannot deserialize value of type \`double\` from String ${JSON.stringify(value)}: not a valid \`double\` value (as String to convert)${chain(path)}`);
      throw mismatch(type, value, path);
    default: {
      // int, long, Integer, Long
      let number: number;
      if (typeof value === 'number') number = Math.trunc(value);
      else if (typeof value === 'string') {
        const text = value.trim();
        if (text === '') return; // an empty String coerces to 0 / null
        if (!/^[-+]?\d+$/.test(text)) {
          const name = type === 'Integer' || type === 'Long' ? `java.lang.${type}` : type;
          throw new Refusal(`Cannot deserialize value of type \`${name}\` from String ${JSON.stringify(value)}: not a valid \`${name}\` value${chain(path)}`);
        }
        number = Number(text);
      } else throw mismatch(type, value, path);
      const range = type === 'int' || type === 'Integer' ? INT_RANGE[type] : [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      if (number < range[0]! || number > range[1]!) {
        const kind = type === 'int' || type === 'Integer' ? 'int' : 'long';
        throw new Refusal(`Numeric value (${String(value)}) out of range of ${kind}${chain(path)}`, COERCION);
      }
    }
  }
}
