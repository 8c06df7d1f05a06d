import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RESTART_QUIET_MS, recordRestart, restartQuietUntil } from '../../../../src/actors/local/restartRecord.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function recordFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aa-restart-'));
  dirs.push(dir);
  return join(dir, 'ambari-agent.restart');
}

describe('restart record', () => {
  it('a restart just recorded holds RESTART_AGENT off until the window ends, then not at all', () => {
    const file = recordFile();
    recordRestart(file, 'restart: RESTART_AGENT from the server', 1_000_000);
    expect(restartQuietUntil(file, 1_000_000)).toBe(1_000_000 + RESTART_QUIET_MS);
    expect(restartQuietUntil(file, 1_000_000 + RESTART_QUIET_MS - 1)).toBe(1_000_000 + RESTART_QUIET_MS);
    expect(restartQuietUntil(file, 1_000_000 + RESTART_QUIET_MS)).toBe(0);
  });

  it('no record, an unreadable one or one without a time: no quiet window', () => {
    const file = recordFile();
    expect(restartQuietUntil(file)).toBe(0);
    writeFileSync(file, '{"at": "soon"');
    expect(restartQuietUntil(file)).toBe(0);
    writeFileSync(file, '{"reason": "x"}');
    expect(restartQuietUntil(file)).toBe(0);
    writeFileSync(file, 'null');
    expect(restartQuietUntil(file)).toBe(0);
  });

  it('a record from the future (the clock set back) holds requests off one window from now at most', () => {
    const file = recordFile();
    recordRestart(file, 'restart', 5_000_000);
    expect(restartQuietUntil(file, 1_000_000)).toBe(1_000_000 + RESTART_QUIET_MS);
  });

  it('a record that cannot be written is no error (the restart goes on without the window)', () => {
    expect(() => recordRestart(join(recordFile(), 'no', 'such', 'dir'), 'restart')).not.toThrow();
  });
});
