// The agent's hostname as the original determines it: `[agent] hostname_script` output when
// set and successful, else the fully qualified name of this host; lower-cased.
import { spawn } from 'node:child_process';
import { lookup, lookupService } from 'node:dns/promises';
import { hostname } from 'node:os';

const SCRIPT_TIMEOUT_MS = 10_000;

export interface HostnameResult {
  hostname: string;
  /** Why the script's answer was not used, when a script was configured. */
  scriptProblem?: string;
}

/** `signal` ends a running hostname script: a stopping agent leaves no script behind. */
export async function agentHostname(hostnameScript: string | undefined, signal?: AbortSignal): Promise<HostnameResult> {
  let scriptProblem: string | undefined;
  if (hostnameScript) {
    try {
      const output = await runScript(hostnameScript, signal);
      if (output !== '') return { hostname: output.toLowerCase() };
      scriptProblem = `hostname_script ${hostnameScript} printed nothing`;
    } catch (err) {
      scriptProblem = `hostname_script ${hostnameScript} failed: ${(err as Error).message}`;
    }
  }
  return { hostname: (await fullyQualifiedName()).toLowerCase(), scriptProblem };
}

// The script runs in its own process group, so a timeout or a stop ends it and anything it
// started (a shell script's children included), instead of leaving them to init.
function runScript(script: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(script, [], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`no answer within ${SCRIPT_TIMEOUT_MS / 1000} s`));
    }, SCRIPT_TIMEOUT_MS);
    const onAbort = () => {
      killGroup();
      reject(new Error('stopped'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      settle();
      reject(err);
    });
    child.on('close', (code, killedBy) => {
      settle();
      if (code === 0) resolve(stdout.trim());
      else reject(new Error(killedBy ? `killed by ${killedBy}` : `exit code ${code}`));
    });
  });
}

// Like Python's socket.getfqdn(): the name as the resolver knows it (usually /etc/hosts),
// falling back to the plain host name.
async function fullyQualifiedName(): Promise<string> {
  const name = hostname();
  if (name.includes('.')) return name;
  try {
    const { address } = await lookup(name);
    const { hostname: canonical } = await lookupService(address, 0);
    return canonical.includes('.') ? canonical : name;
  } catch {
    return name;
  }
}
