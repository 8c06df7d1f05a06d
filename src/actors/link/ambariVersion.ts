// The Ambari version this agent registers as: the text of `[agent] prefix/version`, which the
// original reads at every registration (Utils.read_agent_version) and the Java server compares
// with its own version (HeartBeatHandler.handleRegistration). `init` writes it; an operator
// upgrading the server writes the new version there and restarts the agent.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const VERSION_FILE_NAME = 'version';

/** What a version may look like: 2.8.0.0, 3.0.0.0-SNAPSHOT (one line, no spaces). */
const VERSION_PATTERN = /^[0-9][0-9A-Za-z._-]{0,63}$/;

export const ambariVersionFile = (prefixDir: string): string => join(prefixDir, VERSION_FILE_NAME);

/** Null when `text` can be written as a version, else why not. */
export function versionProblem(text: string): string | null {
  return VERSION_PATTERN.test(text) ? null : `'${text}' is not an Ambari version (digits and dots, e.g. 2.8.0.0)`;
}

function parse(file: string, text: string): string {
  const version = text.trim();
  const problem = versionProblem(version);
  if (problem) throw new Error(`${file}: ${problem}; write the Ambari server's version into it`);
  return version;
}

function unreadable(file: string, err: unknown): Error {
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new Error(`Cannot read the Ambari version from ${file} (${reason}); write the Ambari server's version into it (ambari-agent init --ambari-version V writes it)`);
}

/** Read for every registration, as the original does, so an edited file takes effect at the next one. */
export async function readAmbariVersion(prefixDir: string): Promise<string> {
  const file = ambariVersionFile(prefixDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err);
  }
  return parse(file, text);
}

/** The same, at start-up (preflight): a home without the file never starts. */
export function readAmbariVersionSync(prefixDir: string): string {
  const file = ambariVersionFile(prefixDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err);
  }
  return parse(file, text);
}
