import { describe, expect, it } from 'vitest';
import { thresholdState } from '../../../../src/actors/alerts/thresholds.js';
import { PyFloat } from '../../../../src/actors/alerts/pyValue.js';

const up = { warning: { value: 200 }, critical: { value: 250 } };
const down = { warning: { value: 50 }, critical: { value: 10 } };

describe('thresholdState (metric_alert._get_result)', () => {
  it.each([
    [up, 300, 'CRITICAL'],
    [up, 250, 'CRITICAL'],
    [up, 200, 'WARNING'],
    [up, 199.9, 'OK'],
    [up, new PyFloat(1), 'OK'],
    [up, true, 'OK'],
    [{ ...up, ok: { value: 100 } }, 150, 'OK'],
    [{ ...up, ok: { value: 100 } }, 50, 'UNKNOWN'],
    [down, 5, 'CRITICAL'],
    [down, 10, 'CRITICAL'],
    [down, 50, 'WARNING'],
    [down, 51, 'OK'],
    [{ ...down, ok: { value: 100 } }, 80, 'OK'],
    [{ ...down, ok: { value: 100 } }, 150, 'UNKNOWN'],
    [{ warning: { value: 1 }, critical: { value: 1 } }, 0, 'OK'],
    [{ warning: { value: 1 }, critical: { value: 1 } }, 1, 'CRITICAL'],
  ])('%j with %s', (reporting, value, expected) => {
    expect(thresholdState(value, reporting)).toBe(expected);
  });

  it('Python cannot order None or a str against a number: the check fails (UNKNOWN upstream)', () => {
    expect(() => thresholdState(5, { critical: { value: 10 } })).toThrow("'>=' not supported between instances of 'int' and 'NoneType'");
    expect(() => thresholdState(null, up)).toThrow("'>=' not supported between instances of 'NoneType' and 'int'");
    expect(() => thresholdState('5', up)).toThrow("'>=' not supported between instances of 'str' and 'int'");
    expect(() => thresholdState(5, undefined)).toThrow(TypeError);
  });
});
