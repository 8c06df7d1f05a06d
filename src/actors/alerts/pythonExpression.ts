// Value expressions outside valueExpression.ts's arithmetic subset (the fixtures' multi-line
// `calculate(args)` body, json.loads, len, conditionals) are run by a Python interpreter in a
// child process: the original agent exec()s this very text in its own interpreter, so running it
// in the interpreter commands use gives the same results, while nothing the server sends is ever
// evaluated inside the agent's JS process. The expression and the values go over stdin as JSON
// (never spliced into a command line); the answer comes back as one JSON line on stdout.
import { spawn } from 'node:child_process';
import { parsePyJson, stringifyPyJson } from './pyJson.js';

/** How long an expression may run before it is killed (its alert then ends UNKNOWN). */
export const PYTHON_EXPRESSION_TIMEOUT_MS = 10_000;

// Builds the function as the original does: every {N} becomes args[N] (args[N][k] for AMS data
// points) and the text becomes the body of `return`, so extra lines (def calculate ...) land at
// module level.
const PROGRAM = String.raw`
import json, re, sys
request = json.loads(sys.stdin.read())
mode = request['mode']
ref = r'args[\2][k]' if mode == 'points' else r'args[\2]'
code = re.sub(r'(\{(\d+)\})', ref, request['expression'])
namespace = {}
try:
    exec(compile(('def f(args, k=None):\n  return ' + code + '\n'), '<alert value>', 'exec'), namespace)
    args = request['args']
    if mode == 'points':
        result = []
        for k in args[0]:
            try:
                result.append(namespace['f'](args, k))
            except Exception:
                continue
    else:
        result = namespace['f'](args)
    answer = {'value': result}
except Exception as e:
    answer = {'error': str(e)}
sys.stdout.write(json.dumps(answer, default=str))
`;

export interface PythonExpressionRequest {
  interpreter: string;
  expression: string;
  /** 'value': f(args) once; 'points': one value per data point of args[0] (AMS), failures skipped. */
  mode: 'value' | 'points';
  args: unknown[];
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The expression's value; rejects with Python's exception text when it raises. */
export function evaluateInPython(req: PythonExpressionRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(req.interpreter, ['-c', PROGRAM], { stdio: ['pipe', 'pipe', 'pipe'], signal: req.signal });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), req.timeoutMs ?? PYTHON_EXPRESSION_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => undefined); // a child that died early; 'close' reports it
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`Unable to run the alert value expression with ${req.interpreter}: ${err.message}`));
    });
    child.on('close', (code, signalName) => {
      clearTimeout(timer);
      let answer: unknown;
      try {
        answer = parsePyJson(stdout);
      } catch {
        const why = signalName !== null ? `killed by ${signalName}` : `exit code ${code}`;
        reject(new Error(`The alert value expression did not complete (${why}): ${stderr.trim()}`));
        return;
      }
      const result = answer as { value?: unknown; error?: string };
      if (typeof result.error === 'string') reject(new Error(result.error));
      else resolve(result.value ?? null);
    });
    child.stdin.end(stringifyPyJson({ mode: req.mode, expression: req.expression, args: req.args }));
  });
}
