// commandFileRetention: what becomes of command-ID.json after the final result
// (CustomServiceOrchestrator.conditionally_remove_command_file), decided and applied.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { retainOrRemoveCommandFile, retentionDecision } from '../../../../src/actors/commands/commandFileRetention.js';
import type { LogFn } from '../../../../src/logging/logger.js';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';

afterAll(removeTempDirs);

const FILE = '/data/command-5.json';

describe('retentionDecision', () => {
  it('keep keeps, silently; remove removes whatever the exit code', () => {
    expect(retentionDecision(FILE, 'keep', 'execution', 0)).toEqual({ remove: false });
    expect(retentionDecision(FILE, 'keep', 'execution', 1)).toEqual({ remove: false });
    for (const code of [0, 3]) {
      expect(retentionDecision(FILE, 'remove', 'execution', code)).toEqual({ remove: true, message: `Removing ${FILE} due to the command_file_retention_policy, remove` });
    }
  });

  it('remove_on_success removes after exit code 0 only, saying why either way', () => {
    expect(retentionDecision(FILE, 'remove_on_success', 'execution', 0)).toEqual({
      remove: true,
      message: `Removing ${FILE} due to the command_file_retention_policy, remove_on_success, and exit code, 0`,
    });
    expect(retentionDecision(FILE, 'remove_on_success', 'background', 999)).toEqual({
      remove: false,
      message: `Not removing ${FILE} due to the command_file_retention_policy, remove_on_success, and exit code, 999`,
    });
  });

  it("always removes a status command's file", () => {
    for (const policy of ['keep', 'remove', 'remove_on_success'] as const) expect(retentionDecision(FILE, policy, 'status', 1).remove).toBe(true);
  });
});

describe('retainOrRemoveCommandFile', () => {
  it('removes or keeps the file, logging at info, and does nothing for a file that is not there', () => {
    const dir = tempDir('aa-retention-');
    const logs: Array<[string, string, string]> = [];
    const log: LogFn = (actor, level, msg) => logs.push([actor, level, msg]);
    const failed = join(dir, 'command-1.json');
    const succeeded = join(dir, 'command-2.json');
    writeFileSync(failed, '{}');
    writeFileSync(succeeded, '{}');
    retainOrRemoveCommandFile(failed, 'remove_on_success', 'execution', 1, log, 'task-1');
    retainOrRemoveCommandFile(succeeded, 'remove_on_success', 'execution', 0, log, 'task-2');
    expect(existsSync(failed)).toBe(true);
    expect(existsSync(succeeded)).toBe(false);
    expect(logs).toEqual([
      ['task-1', 'info', `Not removing ${failed} due to the command_file_retention_policy, remove_on_success, and exit code, 1`],
      ['task-2', 'info', `Removing ${succeeded} due to the command_file_retention_policy, remove_on_success, and exit code, 0`],
    ]);
    retainOrRemoveCommandFile(succeeded, 'remove', 'execution', 0, log, 'task-2');
    expect(logs).toHaveLength(2);
  });
});
