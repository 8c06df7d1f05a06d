// Python's `str.format(*args)` for the templates alert definitions carry: positional fields
// ({0}, {1}, {} auto-numbered), conversions !s/!r, and the format spec mini-language
// ([[fill]align][sign][0][width][,|_][.precision][type]) for str, int, float, bool, None and
// containers, with Python's exception types and messages so the caller can apply base_alert's rules.
// Not supported: field attributes and indexes ({0.x}, {0[1]}) and nested fields in a spec ({0:{1}}).
import { PyFloat, pyNumber, pyRepr, pyStr, pyTypeName } from './pyValue.js';

export type PyErrorType = 'ValueError' | 'IndexError' | 'KeyError' | 'TypeError';

/** A formatting failure as Python would raise it; `message` is Python's str(exception). */
export class PyFormatError extends Error {
  constructor(readonly pyType: PyErrorType, message: string) {
    super(message);
    this.name = pyType;
  }
}

const valueError = (message: string) => new PyFormatError('ValueError', message);

/** `template.format(*args)` as Python 3 does it; throws PyFormatError. */
export function pyFormat(template: string, args: readonly unknown[]): string {
  let out = '';
  let auto: number | undefined; // next automatic index; undefined until the first field
  let manual = false;
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '}') {
      if (template[i + 1] !== '}') throw valueError("Single '}' encountered in format string");
      out += '}';
      i += 2;
      continue;
    }
    if (ch !== '{') {
      out += ch;
      i++;
      continue;
    }
    if (template[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    if (i + 1 >= template.length) throw valueError("Single '{' encountered in format string");
    const close = template.indexOf('}', i + 1);
    if (close < 0) throw valueError("expected '}' before end of string");
    const field = template.slice(i + 1, close);
    i = close + 1;
    if (field.includes('{')) throw valueError('nested replacement fields are not supported');

    const fieldMatch = /^([^!:]*)(?:!(.?))?(?::(.*))?$/s.exec(field);
    const name = fieldMatch?.[1] ?? field;
    const conversion = fieldMatch?.[2];
    const spec = fieldMatch?.[3] ?? '';
    let index: number;
    if (name === '') {
      if (manual) throw valueError('cannot switch from manual field specification to automatic field numbering');
      auto ??= 0;
      index = auto++;
    } else if (/^\d+$/.test(name)) {
      if (auto !== undefined) throw valueError('cannot switch from automatic field numbering to manual field specification');
      manual = true;
      index = Number(name);
    } else {
      throw new PyFormatError('KeyError', pyRepr(name));
    }
    if (index >= args.length) {
      throw new PyFormatError('IndexError', `Replacement index ${index} out of range for positional args tuple`);
    }
    let value = args[index];
    if (conversion !== undefined) {
      if (conversion === 's') value = pyStr(value);
      else if (conversion === 'r' || conversion === 'a') value = pyRepr(value);
      else if (conversion === '') throw valueError('end of string while looking for conversion specifier');
      else throw valueError(`Unknown conversion specifier ${conversion}`);
    }
    out += formatValue(value, spec);
  }
  return out;
}

interface Spec {
  fill: string;
  align?: string;
  sign: string;
  alternate: boolean;
  width: number;
  grouping?: string;
  precision?: number;
  type: string;
}

const SPEC = /^(?:([\s\S])?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([a-zA-Z%])?$/;

function parseSpec(spec: string): Spec {
  const m = SPEC.exec(spec);
  if (m === null) throw valueError('Invalid format specifier');
  const zero = m[5] !== undefined;
  return {
    fill: m[1] ?? (zero && m[2] === undefined ? '0' : ' '),
    align: m[2] ?? (zero ? '=' : undefined),
    sign: m[3] ?? '-',
    alternate: m[4] !== undefined,
    width: m[6] !== undefined ? Number(m[6]) : 0,
    grouping: m[7],
    precision: m[8] !== undefined ? Number(m[8]) : undefined,
    type: m[9] ?? '',
  };
}

/** `format(value, spec)`: Python's __format__ of the value's type. */
export function formatValue(value: unknown, spec: string): string {
  if (spec === '') return pyStr(value);
  if (typeof value === 'string') return formatString(value, parseSpec(spec));
  const num = pyNumber(value);
  if (num === undefined) throw new PyFormatError('TypeError', `unsupported format string passed to ${pyTypeName(value)}.__format__`);
  const s = parseSpec(spec);
  const typeName = pyTypeName(value);
  if (num.isFloat) return formatFloat(num.value, s, typeName);
  if ('eEfFgG%'.includes(s.type) && s.type !== '') return formatFloat(num.value, s, typeName);
  return formatInt(num.value, s, typeName);
}

function formatString(value: string, s: Spec): string {
  if (s.type !== '' && s.type !== 's') throw valueError(`Unknown format code '${s.type}' for object of type 'str'`);
  if (s.sign !== '-' || s.align === '=') throw valueError('Sign not allowed in string format specifier');
  const text = s.precision !== undefined ? [...value].slice(0, s.precision).join('') : value;
  return pad(text, s, '<');
}

function formatInt(value: number, s: Spec, typeName: string): string {
  const radix: Record<string, number> = { '': 10, d: 10, n: 10, x: 16, X: 16, o: 8, b: 2 };
  if (!(s.type in radix)) throw valueError(`Unknown format code '${s.type}' for object of type '${typeName}'`);
  if (s.precision !== undefined) throw valueError('Precision not allowed in integer format specifier');
  let digits = BigInt(Math.abs(value)).toString(radix[s.type]);
  if (s.type === 'X') digits = digits.toUpperCase();
  if (s.grouping !== undefined && radix[s.type] === 10) digits = group(digits, s.grouping);
  const prefix = s.alternate && s.type !== '' && s.type !== 'd' && s.type !== 'n' ? `0${s.type}` : '';
  return padNumber(signOf(value < 0, s) + prefix, digits, s);
}

function formatFloat(value: number, s: Spec, typeName: string): string {
  if (!'eEfFgGn%'.includes(s.type) && s.type !== '') {
    throw valueError(`Unknown format code '${s.type}' for object of type '${typeName}'`);
  }
  const negative = value < 0 || Object.is(value, -0);
  let body: string;
  const abs = Math.abs(value);
  if (!Number.isFinite(abs) || Number.isNaN(abs)) {
    body = Number.isNaN(abs) ? 'nan' : 'inf';
    if (s.type === 'E' || s.type === 'F' || s.type === 'G') body = body.toUpperCase();
    body += s.type === '%' ? '%' : '';
  } else if (s.type === 'f' || s.type === 'F') {
    body = fixed(abs, s.precision ?? 6, s.alternate);
  } else if (s.type === '%') {
    body = fixed(abs * 100, s.precision ?? 6, s.alternate) + '%';
  } else if (s.type === 'e' || s.type === 'E') {
    body = scientific(abs, s.precision ?? 6, s.alternate);
    if (s.type === 'E') body = body.toUpperCase();
  } else if (s.type === 'g' || s.type === 'G' || s.type === 'n') {
    body = general(abs, s.precision ?? 6, s.alternate, false);
    if (s.type === 'G') body = body.toUpperCase();
  } else if (s.precision === undefined) {
    body = pyRepr(new PyFloat(abs));
  } else {
    body = general(abs, s.precision, s.alternate, true);
  }
  if (s.grouping !== undefined) {
    const m = /^(\d+)(.*)$/s.exec(body);
    if (m !== null) body = group(m[1]!, s.grouping) + m[2]!;
  }
  return padNumber(signOf(negative, s), body, s);
}

function signOf(negative: boolean, s: Spec): string {
  if (negative) return '-';
  return s.sign === '+' ? '+' : s.sign === ' ' ? ' ' : '';
}

function group(digits: string, sep: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

function padNumber(sign: string, body: string, s: Spec): string {
  if (s.align === '=') {
    const missing = s.width - sign.length - body.length;
    return sign + (missing > 0 ? s.fill.repeat(missing) : '') + body;
  }
  return pad(sign + body, s, '>');
}

function pad(text: string, s: Spec, defaultAlign: string): string {
  const length = [...text].length;
  const missing = s.width - length;
  if (missing <= 0) return text;
  const align = s.align ?? defaultAlign;
  if (align === '<') return text + s.fill.repeat(missing);
  if (align === '^') {
    const left = Math.floor(missing / 2);
    return s.fill.repeat(left) + text + s.fill.repeat(missing - left);
  }
  return s.fill.repeat(missing) + text;
}

// Exact decimal arithmetic on a double, so rounding is Python's (round-half-even on the exact
// binary value), not toFixed's (which rounds exact ties up: 2.5 -> '3' where Python gives '2').

/** x (finite, >= 0) as n / 10^scale exactly. */
function exactDecimal(x: number): { n: bigint; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  let exponent: number;
  if (exponentBits === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  if (exponent >= 0) return { n: mantissa << BigInt(exponent), scale: 0 };
  return { n: mantissa * 5n ** BigInt(-exponent), scale: -exponent };
}

/** n / 10^drop rounded half-to-even. */
function roundDrop(n: bigint, drop: number): bigint {
  if (drop <= 0) return n * 10n ** BigInt(-drop);
  const div = 10n ** BigInt(drop);
  let q = n / div;
  const twice = (n % div) * 2n;
  if (twice > div || (twice === div && q % 2n === 1n)) q += 1n;
  return q;
}

function fixed(x: number, precision: number, alternate: boolean): string {
  const { n, scale } = exactDecimal(x);
  const digits = roundDrop(n, scale - precision).toString().padStart(precision + 1, '0');
  if (precision === 0) return alternate ? `${digits}.` : digits;
  return `${digits.slice(0, -precision)}.${digits.slice(-precision)}`;
}

/** x rounded to `significant` digits: the digit string and the decimal exponent of its first digit. */
function significantDigits(x: number, significant: number): { digits: string; exp: number } {
  if (x === 0) return { digits: '0'.repeat(significant), exp: 0 };
  const { n, scale } = exactDecimal(x);
  const length = n.toString().length;
  let rounded = roundDrop(n, length - significant).toString();
  let exp = length - 1 - scale;
  if (rounded.length > significant) {
    rounded = rounded.slice(0, significant);
    exp += 1;
  }
  return { digits: rounded, exp };
}

function exponentText(exp: number): string {
  return `e${exp < 0 ? '-' : '+'}${Math.abs(exp).toString().padStart(2, '0')}`;
}

function scientific(x: number, precision: number, alternate: boolean): string {
  const { digits, exp } = significantDigits(x, precision + 1);
  const mantissa = precision > 0 ? `${digits[0]}.${digits.slice(1)}` : alternate ? `${digits}.` : digits;
  return mantissa + exponentText(exp);
}

/** 'g' (and the no-type form with a precision, which keeps one fraction digit in fixed notation). */
function general(x: number, precision: number, alternate: boolean, noType: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const { digits, exp } = significantDigits(x, p);
  const fixedLimit = noType ? p - 1 : p;
  let text: string;
  if (exp >= -4 && exp < fixedLimit) {
    if (exp >= 0) {
      const frac = digits.slice(exp + 1);
      text = frac === '' ? digits : `${digits.slice(0, exp + 1)}.${frac}`;
    } else {
      text = `0.${'0'.repeat(-exp - 1)}${digits}`;
    }
    if (!alternate && text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
    if (noType && !text.includes('.')) text += '.0';
  } else {
    let mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    if (!alternate) mantissa = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    text = mantissa + exponentText(exp);
  }
  return text;
}
