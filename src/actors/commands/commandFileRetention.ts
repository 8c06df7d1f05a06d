// What becomes of command-ID.json (the whole command, passwords included) once a command has
// its final result: [agent] command_file_retention_policy, as
// CustomServiceOrchestrator.conditionally_remove_command_file decides it. A status command's
// file is always removed (CustomServiceOrchestrator.runCommand unlinks it).
import { existsSync, rmSync } from 'node:fs';
import type { LogFn } from '../../logging/logger.js';
import type { CommandKind } from '../../machines/actionQueue.js';
import type { CommandFileRetentionPolicy } from '../../config/schema.js';

export interface RetentionDecision {
  remove: boolean;
  /** What the original logs at info about it (nothing for `keep`). */
  message?: string;
}

/** Pure: whether `file` goes, given the policy, the command's kind and its final exit code. */
export function retentionDecision(file: string, policy: CommandFileRetentionPolicy, kind: CommandKind, exitCode: number): RetentionDecision {
  if (kind === 'status') return { remove: true };
  switch (policy) {
    case 'remove':
      return { remove: true, message: `Removing ${file} due to the command_file_retention_policy, remove` };
    case 'remove_on_success':
      return exitCode === 0
        ? { remove: true, message: `Removing ${file} due to the command_file_retention_policy, remove_on_success, and exit code, ${exitCode}` }
        : { remove: false, message: `Not removing ${file} due to the command_file_retention_policy, remove_on_success, and exit code, ${exitCode}` };
    case 'keep':
      return { remove: false };
  }
}

/** Applies the decision to an existing file (a command that never ran has none); a failed removal is a warning. */
export function retainOrRemoveCommandFile(file: string, policy: CommandFileRetentionPolicy, kind: CommandKind, exitCode: number, log: LogFn, actor: string): void {
  if (!existsSync(file)) return;
  const decision = retentionDecision(file, policy, kind, exitCode);
  if (decision.message) log(actor, 'info', decision.message);
  if (!decision.remove) return;
  try {
    rmSync(file, { force: true });
  } catch (err) {
    log(actor, 'warn', `Cannot remove ${file}: ${(err as Error).message}`);
  }
}
