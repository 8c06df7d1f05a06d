// METRIC `jmx.value` and AMS `ams.value` expressions without eval: the original runs them as
// Python code, but most are plain arithmetic over `{N}` (the N-th fetched value), e.g.
// `{0} * 100` or `{0}/({0} + {1}) * 100.0`. This parses that subset (numbers, {N}, + - * /,
// unary minus and plus, parentheses) and evaluates it with Python 3 semantics: `/` is true
// division, int op int stays an int, anything with a float is a float (a PyFloat when integral,
// so str() prints it as Python does). Anything else is left to pythonExpression.ts.
import { PyFloat, pyNumber, toPyFloat } from './pyValue.js';

export type ArithmeticNode =
  | { op: 'num'; value: number; isFloat: boolean }
  | { op: 'arg'; index: number }
  | { op: 'neg' | 'pos'; operand: ArithmeticNode }
  | { op: '+' | '-' | '*' | '/'; left: ArithmeticNode; right: ArithmeticNode };

/** An operand that is not a number (a str, None, a list ...): only Python can say what happens. */
export class NonNumericOperand extends Error {}

const TOKEN = /\s*(?:(\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)|(\d+)|\{(\d+)\}|([-+*/()]))/y;

type Token = { kind: 'float' | 'int'; text: string } | { kind: 'arg'; index: number } | { kind: 'punct'; text: string };

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let position = 0;
  while (position < text.length) {
    if (/^\s*$/.test(text.slice(position))) break;
    TOKEN.lastIndex = position;
    const m = TOKEN.exec(text);
    if (m === null) return undefined;
    position = TOKEN.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: 'float', text: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: 'int', text: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: 'arg', index: Number(m[3]) });
    else tokens.push({ kind: 'punct', text: m[4]! });
  }
  return tokens;
}

/** The expression as a tree, or undefined when it is not in the arithmetic subset. */
export function parseArithmetic(text: string): ArithmeticNode | undefined {
  const tokens = tokenize(text);
  if (tokens === undefined || tokens.length === 0) return undefined;
  let at = 0;
  const peek = (): string | undefined => {
    const token = tokens[at];
    return token?.kind === 'punct' ? token.text : undefined;
  };
  const expression = (): ArithmeticNode | undefined => {
    let left = term();
    while (left !== undefined && (peek() === '+' || peek() === '-')) {
      const op = peek() as '+' | '-';
      at++;
      const right = term();
      left = right === undefined ? undefined : { op, left, right };
    }
    return left;
  };
  const term = (): ArithmeticNode | undefined => {
    let left = unary();
    while (left !== undefined && (peek() === '*' || peek() === '/')) {
      const op = peek() as '*' | '/';
      at++;
      // Python's ** and // are not in the subset.
      if (peek() === op) return undefined;
      const right = unary();
      left = right === undefined ? undefined : { op, left, right };
    }
    return left;
  };
  const unary = (): ArithmeticNode | undefined => {
    const sign = peek();
    if (sign === '-' || sign === '+') {
      at++;
      const operand = unary();
      return operand === undefined ? undefined : { op: sign === '-' ? 'neg' : 'pos', operand };
    }
    return primary();
  };
  const primary = (): ArithmeticNode | undefined => {
    const token = tokens[at++];
    if (token === undefined) return undefined;
    if (token.kind === 'int') return { op: 'num', value: Number(token.text), isFloat: false };
    if (token.kind === 'float') return { op: 'num', value: Number(token.text), isFloat: true };
    if (token.kind === 'arg') return { op: 'arg', index: token.index };
    if (token.text !== '(') return undefined;
    const inner = expression();
    if (inner === undefined || peek() !== ')') return undefined;
    at++;
    return inner;
  };
  const tree = expression();
  return tree !== undefined && at === tokens.length ? tree : undefined;
}

interface PyNum {
  value: number;
  isFloat: boolean;
}

/**
 * Evaluates the tree; `arg(N)` gives `{N}`. Throws NonNumericOperand for a non-number operand,
 * and Python's ZeroDivisionError text ('division by zero') for x / 0, or IndexError's for a
 * missing argument.
 */
export function evaluateArithmetic(node: ArithmeticNode, arg: (index: number) => unknown): number | PyFloat {
  const result = evaluate(node, arg);
  return result.isFloat ? toPyFloat(result.value) : result.value;
}

function evaluate(node: ArithmeticNode, arg: (index: number) => unknown): PyNum {
  switch (node.op) {
    case 'num':
      return { value: node.value, isFloat: node.isFloat };
    case 'arg': {
      const value = arg(node.index);
      if (value === undefined) throw new RangeError('list index out of range');
      const num = pyNumber(value);
      if (num === undefined) throw new NonNumericOperand(`{${node.index}} is not a number`);
      return num;
    }
    case 'neg': {
      const operand = evaluate(node.operand, arg);
      return { value: -operand.value, isFloat: operand.isFloat };
    }
    case 'pos':
      return evaluate(node.operand, arg);
    default: {
      const left = evaluate(node.left, arg);
      const right = evaluate(node.right, arg);
      const isFloat = left.isFloat || right.isFloat;
      if (node.op === '+') return { value: left.value + right.value, isFloat };
      if (node.op === '-') return { value: left.value - right.value, isFloat };
      if (node.op === '*') return { value: left.value * right.value, isFloat };
      if (right.value === 0) throw new RangeError(isFloat ? 'float division by zero' : 'division by zero');
      return { value: left.value / right.value, isFloat: true };
    }
  }
}
