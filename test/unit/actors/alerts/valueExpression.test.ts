import { describe, expect, it } from 'vitest';
import { evaluateArithmetic, NonNumericOperand, parseArithmetic } from '../../../../src/actors/alerts/valueExpression.js';
import { computePoints, computeValue } from '../../../../src/actors/alerts/alertValue.js';
import { PyFloat, pyStr } from '../../../../src/actors/alerts/pyValue.js';

const run = (text: string, args: unknown[]) => evaluateArithmetic(parseArithmetic(text)!, (i) => args[i]);

describe('arithmetic value expressions', () => {
  // str() of each result as Python 3.11.7 printed it, with the expression's {N} replaced by args[N].
  it.each([
    ['{0} * 100', [0.25], '25.0'],
    ['{0} * 100', [3], '300'],
    ['{0} + {1}', [1, 2], '3'],
    ['{0}/({0} + {1}) * 100.0', [30, 70], '30.0'],
    ['{0} / {1}', [4, 2], '2.0'],
    ['-{0} + 1.5', [1], '0.5'],
    ['({0})', [new PyFloat(2)], '2.0'],
    ['{0}', [true], '1'],
  ])('%s with %j', (text, args, expected) => {
    expect(pyStr(run(text, args))).toBe(expected);
  });

  it('leaves anything else to Python', () => {
    for (const text of ['{0} ** 2', '{0} // 2', 'len({0})', 'calculate(args)\ndef calculate(args):\n  return 1', '{0} +', '{0} % 2']) {
      expect(parseArithmetic(text)).toBeUndefined();
    }
  });

  it('Python errors: division by zero, missing index; non-numbers are not evaluated here', () => {
    expect(() => run('{0} / {1}', [1, 0])).toThrow('division by zero');
    expect(() => run('{0} / 0.0', [1])).toThrow('float division by zero');
    expect(() => run('{3}', [1])).toThrow('list index out of range');
    expect(() => run('{0} * 2', ['ab'])).toThrow(NonNumericOperand);
  });
});

describe('computeValue / computePoints with python3 for the rest', () => {
  const how = { python: 'python3' };
  it('runs the fixtures\' multi-line calculate(args) body in Python', async () => {
    const expression = "calculate(args)\ndef calculate(args):\n  import json\n  json_statuses = json.loads({0})\n  return len(json_statuses['failed']) if 'failed' in json_statuses else 0";
    expect(await computeValue(expression, ['{"failed": ["/a", "/b"], "active": []}'], how)).toBe(2);
    expect(await computeValue(expression, ['{}'], how)).toBe(0);
  });

  it('str * int is repetition in Python, and floats come back as floats', async () => {
    expect(await computeValue('{0} * 2', ['ab'], how)).toBe('abab');
    expect(await computeValue('{0} ** 2', [new PyFloat(3)], how)).toEqual(new PyFloat(9));
  });

  it('Python exceptions reject with their text; without an interpreter a clear error', async () => {
    await expect(computeValue('1 // 0', [], how)).rejects.toThrow('integer division or modulo by zero');
    await expect(computeValue('len({0})', ['x'], {})).rejects.toThrow('not plain arithmetic and no Python interpreter is configured');
  });

  it('per data point (AMS), natively and in Python; failing points are skipped', async () => {
    const series = [{ '1': 1, '2': 4, '3': 9 }, { '1': 1, '2': 2 }];
    expect(await computePoints('{0} + {1}', series, how)).toEqual([2, 6]);
    expect(await computePoints('{0} ** 0.5', series, how)).toEqual([new PyFloat(1), new PyFloat(2), new PyFloat(3)]);
  });
});
