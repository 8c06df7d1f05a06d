// The agent's hostname as the original determines it: `[agent] hostname_script` output when
// set and successful, else the fully qualified name of this host; lower-cased.
import { execFile } from 'node:child_process';
import { lookup, lookupService } from 'node:dns/promises';
import { hostname } from 'node:os';

const SCRIPT_TIMEOUT_MS = 10_000;

export interface HostnameResult {
  hostname: string;
  /** Why the script's answer was not used, when a script was configured. */
  scriptProblem?: string;
}

export async function agentHostname(hostnameScript: string | undefined): Promise<HostnameResult> {
  let scriptProblem: string | undefined;
  if (hostnameScript) {
    try {
      const output = await runScript(hostnameScript);
      if (output !== '') return { hostname: output.toLowerCase() };
      scriptProblem = `hostname_script ${hostnameScript} printed nothing`;
    } catch (err) {
      scriptProblem = `hostname_script ${hostnameScript} failed: ${(err as Error).message}`;
    }
  }
  return { hostname: (await fullyQualifiedName()).toLowerCase(), scriptProblem };
}

function runScript(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(script, [], { timeout: SCRIPT_TIMEOUT_MS }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout.trim());
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
