// ambari-env.sh beside the ini: the original sources it in its control script. We read only the
// simple `KEY=VALUE` and `export KEY=VALUE` lines (no shell evaluation), which is what the
// packaged file contains.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

export function parseEnvText(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    result[match[1]!] = unquote(match[2]!.trim());
  }
  return result;
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) {
    return value.slice(1, -1);
  }
  // An unquoted value ends at the first unescaped whitespace, as in sh (`A=b # note`).
  return value.split(/\s+/)[0] ?? '';
}

export function envFilePath(confDirectory: string): string {
  return join(confDirectory, 'ambari-env.sh');
}

export function readEnvFile(confDirectory: string): Record<string, string> {
  const file = envFilePath(confDirectory);
  return existsSync(file) ? parseEnvText(readFileSync(file, 'utf8')) : {};
}

/** AMBARI_PASSPHRASE (or the configured variable): environment, then ambari-env.sh, then "DEV". */
export function resolvePassphrase(
  varName: string,
  environment: NodeJS.ProcessEnv,
  envFile: Record<string, string>,
): string {
  return environment[varName] ?? envFile[varName] ?? 'DEV';
}
