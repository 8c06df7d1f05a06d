// The before- and after- hooks around a command (CommandHooksOrchestrator.py): under the hooks
// folder (clusterLevelParams.hooks_folder, e.g. "stack-hooks"), a hook NAME runs
// NAME/scripts/hook.py with NAME as its base dir. Before the command: before-CMD,
// before-CMD-SERVICE, before-CMD-SERVICE-ROLE; after it, the other way round. Hooks that do
// not exist are skipped. A service named "null" (a command outside any service) has no
// service hooks, and a command without a role no role hooks: the original meant to skip them
// too, but compares with None only.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ScriptStep {
  script: string;
  baseDir: string;
  /** Set for hooks (always PYTHON); the command's script takes the command's script_type. */
  scriptType?: string;
}

export function hookNames(prefix: 'before' | 'after', command: string, service?: string, role?: string): string[] {
  const names = [`${prefix}-${command}`];
  const hasService = service !== undefined && service !== '' && service !== 'null';
  if (hasService) names.push(`${prefix}-${command}-${service}`);
  if (hasService && role !== undefined && role !== '') names.push(`${prefix}-${command}-${service}-${role}`);
  return prefix === 'before' ? names : names.reverse();
}

/** Whether path is a regular file (following symlinks). */
export async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/** The hook scripts that exist under hooksDir, in the order they run. */
export async function resolveHooks(hooksDir: string, command: string, service?: string, role?: string): Promise<{ before: ScriptStep[]; after: ScriptStep[] }> {
  const existing = async (names: string[]): Promise<ScriptStep[]> => {
    const steps = names.map((name) => ({ script: join(hooksDir, name, 'scripts', 'hook.py'), baseDir: join(hooksDir, name), scriptType: 'PYTHON' }));
    const present = await Promise.all(steps.map((step) => isFile(step.script)));
    return steps.filter((_, index) => present[index]);
  };
  const [before, after] = await Promise.all([existing(hookNames('before', command, service, role)), existing(hookNames('after', command, service, role))]);
  return { before, after };
}
