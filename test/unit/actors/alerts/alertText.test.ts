import { describe, expect, it } from 'vitest';
import { formatAlertText } from '../../../../src/actors/alerts/alertText.js';
import { pyFormat } from '../../../../src/actors/alerts/pyFormat.js';
import { PyFloat, pyRepr, pyStr } from '../../../../src/actors/alerts/pyValue.js';

// Expected strings were printed by Python 3.11.7: `print(template.format(*args))` for each row
// (the Python literal of the args is in the third column).
const PYTHON_FORMAT: [string, unknown[], string, string][] = [
  ['{0}', [new PyFloat(1)], '[1.0]', '1.0'],
  ['{0}', [true], '[True]', 'True'],
  ['{0}', [null], '[None]', 'None'],
  ['{0}', [[1, 'a', null, 1.5, true]], "[[1, 'a', None, 1.5, True]]", "[1, 'a', None, 1.5, True]"],
  ['{0}', [{ k: 'v' }], "[{'k': 'v'}]", "{'k': 'v'}"],
  ['{0} {1}', ['a', 2], "['a', 2]", 'a 2'],
  ['{} and {}', [1, 2], '[1, 2]', '1 and 2'],
  ['{{0}} {0}', [5], '[5]', '{0} 5'],
  ['{0:.3f}', [0.0005], '[0.0005]', '0.001'],
  ['{0:.1%}', [0.256], '[0.256]', '25.6%'],
  ['{0:.0f}', [2.5], '[2.5]', '2'],
  ['{0:.2f}', [0.125], '[0.125]', '0.12'],
  ['{0:.4f}', [3], '[3]', '3.0000'],
  ['{0:d}', [42], '[42]', '42'],
  ['{0:5d}|{1:<6s}|{2:^7}', [42, 'ab', 'mid'], "[42, 'ab', 'mid']", '   42|ab    |  mid  '],
  ['{0:>8.2f}', [3.14159], '[3.14159]', '    3.14'],
  ['{0:08.3f}', [-3.14159], '[-3.14159]', '-003.142'],
  ['{0:,d}', [1234567], '[1234567]', '1,234,567'],
  ['{0:+.1f}', [new PyFloat(2)], '[2.0]', '+2.0'],
  ['{0:.2}', [1234.5], '[1234.5]', '1.2e+03'],
  ['{0:.2}', [new PyFloat(1)], '[1.0]', '1.0'],
  ['{0:.3g}', [0.0001234], '[0.0001234]', '0.000123'],
  ['{0:g}', [new PyFloat(1e20)], '[1e+20]', '1e+20'],
  ['{0:.2e}', [12345.678], '[12345.678]', '1.23e+04'],
  ['{0}', [1e-5], '[1e-05]', '1e-05'],
  ['{0}', [new PyFloat(1.5e16)], '[1.5e+16]', '1.5e+16'],
  ['{0}', [123.456], '[123.456]', '123.456'],
  ['{0!r}', ['x'], "['x']", "'x'"],
  ['{0:*^9}', ['hi'], "['hi']", '***hi****'],
  ['{0:.3s}', ['abcdef'], "['abcdef']", 'abc'],
  ['{0:5}', [true], '[True]', '    1'],
];

describe('pyFormat (Python str.format)', () => {
  it.each(PYTHON_FORMAT)('%s with %s', (template, args, _python, expected) => {
    expect(pyFormat(template, args)).toBe(expected);
  });

  // Python 3.11.7: type(e).__name__, str(e) for each.
  it.each([
    ['{1}', [1], 'IndexError', 'Replacement index 1 out of range for positional args tuple'],
    ['{}{0}', [1], 'ValueError', 'cannot switch from automatic field numbering to manual field specification'],
    ['{0}{}', [1], 'ValueError', 'cannot switch from manual field specification to automatic field numbering'],
    ['a}b', [], 'ValueError', "Single '}' encountered in format string"],
    ['a{', [], 'ValueError', "Single '{' encountered in format string"],
    ['{0', [1], 'ValueError', "expected '}' before end of string"],
    ['{x}', [1], 'KeyError', "'x'"],
    ['{0:d}', [1.5], 'ValueError', "Unknown format code 'd' for object of type 'float'"],
    ['{0:.1%}', ['a'], 'ValueError', "Unknown format code '%' for object of type 'str'"],
    ['{0:.2f}', [null], 'TypeError', 'unsupported format string passed to NoneType.__format__'],
    ['{0:s}', [1], 'ValueError', "Unknown format code 's' for object of type 'int'"],
    ['{0:.2f}', [[1]], 'TypeError', 'unsupported format string passed to list.__format__'],
    ['{0!x}', [1], 'ValueError', 'Unknown conversion specifier x'],
    ['{0:s}', [true], 'ValueError', "Unknown format code 's' for object of type 'bool'"],
  ])('%s with %j raises %s', (template, args, pyType, message) => {
    expect(() => pyFormat(template, args)).toThrow(expect.objectContaining({ pyType, message }));
  });
});

describe('Python str()/repr() of values', () => {
  it('prints like Python 3.11', () => {
    // print(str([1,'a',"it's",None,1.0,True,{'k':[2.5]}, 'x"y\'z', '\n\\']))
    expect(pyStr([1, 'a', "it's", null, new PyFloat(1), true, { k: [2.5] }, 'x"y\'z', '\n\\'])).toBe(
      `[1, 'a', "it's", None, 1.0, True, {'k': [2.5]}, 'x"y\\'z', '\\n\\\\']`,
    );
    // repr(123456789012345678.0), str(-0.0)
    expect(pyRepr(new PyFloat(123456789012345678))).toBe('1.2345678901234568e+17');
    expect(pyRepr(-0)).toBe('0'); // a JS -0 has no float marker: read as the int 0
    expect(pyRepr(new PyFloat(-0))).toBe('-0.0');
    expect(pyStr(1e21)).toBe('1000000000000000000000');
  });
});

describe('formatAlertText (base_alert.collect rules)', () => {
  it('formats and strips NUL', () => {
    expect(formatAlertText('TCP OK - {0:.3f}s response on port {1}', [0.0123, 8080])).toEqual({ text: 'TCP OK - 0.012s response on port 8080', definitionProblem: false });
    expect(formatAlertText('a\u0000b {0}', ['c\u0000d'])).toEqual({ text: 'ab cd', definitionProblem: false });
  });

  it('retries a ValueError with every d} as s} and the args str()d', () => {
    // Python: '{0:d} of {1:d}'.format(1.5, 2) raises ValueError; '{0:s} of {1:s}'.format('1.5', '2')
    expect(formatAlertText('{0:d} of {1:d}', [1.5, 2])).toEqual({ text: '1.5 of 2', definitionProblem: false });
    // None with 'd' is a TypeError in Python, not a ValueError: no retry.
    expect(formatAlertText('{0:d}', [null])).toEqual({
      text: 'There is a problem with the alert definition: unsupported format string passed to NoneType.__format__',
      definitionProblem: true,
    });
  });

  it('reports other failures as a problem with the definition', () => {
    expect(formatAlertText('{0} {1}', [1])).toEqual({
      text: 'There is a problem with the alert definition: Replacement index 1 out of range for positional args tuple',
      definitionProblem: true,
    });
    // The retry fails too: '%' on a str.
    expect(formatAlertText('{0:.1%}', ['x'])).toEqual({
      text: "There is a problem with the alert definition: Unknown format code '%' for object of type 'str'",
      definitionProblem: true,
    });
    expect(formatAlertText('{name}', [1]).text).toBe("There is a problem with the alert definition: 'name'");
  });
});
