// The computed value of a METRIC or AMS definition (`jmx.value`, `ams.value`): arithmetic is
// evaluated here (valueExpression.ts); anything else, or arithmetic over values that are not
// numbers, goes to the Python interpreter commands use (pythonExpression.ts), as the original
// exec()s the expression in its own interpreter. Without an interpreter such a check fails with
// a text that says why (the alert then ends UNKNOWN).
import { evaluateArithmetic, NonNumericOperand, parseArithmetic } from './valueExpression.js';
import { evaluateInPython } from './pythonExpression.js';
import { getOwn } from '../../caches/json.js';
import { isPlainObject } from '../../util/plainObject.js';

export interface ValueEvaluation {
  /** The Python interpreter for non-arithmetic expressions; undefined: such expressions fail. */
  python?: string;
  signal?: AbortSignal;
}

function noPython(expression: string): Error {
  return new Error(`The value expression is not plain arithmetic and no Python interpreter is configured: ${expression}`);
}

/** `expression` over args ({N} = args[N]), as JmxMetric.calculate does. */
export async function computeValue(expression: string, args: unknown[], how: ValueEvaluation): Promise<unknown> {
  const tree = parseArithmetic(expression);
  if (tree !== undefined) {
    try {
      return evaluateArithmetic(tree, (index) => (index < args.length ? args[index] : undefined));
    } catch (err) {
      if (!(err instanceof NonNumericOperand)) throw err;
    }
  }
  if (how.python === undefined) throw noPython(expression);
  return evaluateInPython({ interpreter: how.python, expression, mode: 'value', args, signal: how.signal });
}

/**
 * `expression` per data point, as AmsMetric.calculate_value does: for each timestamp of the first
 * series, {N} is series N's value at that timestamp; a point that fails is skipped.
 */
export async function computePoints(expression: string, series: unknown[], how: ValueEvaluation): Promise<unknown[]> {
  const tree = parseArithmetic(expression);
  const first = series[0];
  if (tree !== undefined && isPlainObject(first)) {
    const points: unknown[] = [];
    for (const timestamp of Object.keys(first)) {
      try {
        points.push(evaluateArithmetic(tree, (index) => {
          const values = series[index];
          return isPlainObject(values) ? getOwn(values, timestamp) : undefined;
        }));
      } catch {
        // the original skips a point whose expression raises
      }
    }
    return points;
  }
  if (how.python === undefined) throw noPython(expression);
  const points = await evaluateInPython({ interpreter: how.python, expression, mode: 'points', args: series, signal: how.signal });
  return Array.isArray(points) ? points : [];
}
