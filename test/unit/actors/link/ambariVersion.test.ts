// prefix/version: what the agent registers as (Register.agentVersion), read as the original's
// Utils.read_agent_version reads it (the file's text, stripped).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ambariVersionFile, readAmbariVersion, readAmbariVersionSync, versionProblem } from '../../../../src/actors/link/ambariVersion.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function prefixWith(text?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'aa-version-'));
  dirs.push(dir);
  if (text !== undefined) writeFileSync(join(dir, 'version'), text);
  return dir;
}

describe('the Ambari version file', () => {
  it('is prefix/version, read stripped of its line end', async () => {
    const prefix = prefixWith('2.8.0.0\n');
    expect(ambariVersionFile(prefix)).toBe(join(prefix, 'version'));
    expect(await readAmbariVersion(prefix)).toBe('2.8.0.0');
    expect(readAmbariVersionSync(prefix)).toBe('2.8.0.0');
    expect(await readAmbariVersion(prefixWith('  3.0.0.0-SNAPSHOT \n'))).toBe('3.0.0.0-SNAPSHOT');
  });

  it('missing: one line naming the file, the reason and the fix', async () => {
    const prefix = prefixWith();
    const file = join(prefix, 'version');
    await expect(readAmbariVersion(prefix)).rejects.toThrow(`Cannot read the Ambari version from ${file} (ENOENT); write the Ambari server's version into it`);
    expect(() => readAmbariVersionSync(prefix)).toThrow(/^Cannot read the Ambari version from .*\(ENOENT\)/);
  });

  it('empty or not a version: refused, naming the file and the text', async () => {
    await expect(readAmbariVersion(prefixWith(''))).rejects.toThrow(/version: '' is not an Ambari version/);
    await expect(readAmbariVersion(prefixWith('2.8.0.0 beta\n'))).rejects.toThrow("'2.8.0.0 beta' is not an Ambari version");
    expect(versionProblem('2.8.0.0')).toBeNull();
    expect(versionProblem('v2')).toMatch(/not an Ambari version/);
  });
});
