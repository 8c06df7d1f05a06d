// The bash completion script, generated from the table, run in bash: COMP_WORDS set as bash
// would set them, the completion function called, COMPREPLY read back.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashCompletion, COMPLETION_FUNCTION } from '../../../src/cli/bashCompletion.js';
import { optionsOf } from '../../../src/cli/commandSpec.js';
import { COMMANDS } from '../../../src/cli/commandTable.js';
import { AGENT_MACHINES } from '../../../src/introspection/machineGraph.js';
import { removeTempDirs, tempDir } from '../../support/tempDirs.mjs';

afterAll(removeTempDirs);

let script = '';
let dir = '';
beforeAll(async () => {
  dir = tempDir('aa-completion-');
  script = join(dir, 'ambari-agent.bash');
  writeFileSync(script, await bashCompletion(COMMANDS));
});

/** The completions of the last word (the one under the cursor) of `ambari-agent ...words`. */
function complete(...words: string[]): string[] {
  const run = spawnSync(
    'bash',
    ['-c', `source "$1" || exit 9; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); ${COMPLETION_FUNCTION}; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', script, 'ambari-agent', ...words],
    { encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  expect(run.stderr).toBe('');
  return run.stdout.split('\n').filter((line) => line !== '');
}

describe('ambari-agent completion bash', () => {
  it('registers the function for ambari-agent', () => {
    const run = spawnSync('bash', ['-c', 'source "$1"; complete -p ambari-agent', 'bash', script], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe(`complete -F ${COMPLETION_FUNCTION} ambari-agent`);
  });

  it('completes the commands first, then --help and --version', () => {
    expect(complete('')).toEqual([...COMMANDS.map((c) => c.name), '--help', '--version']);
    expect(complete('st')).toEqual(['start', 'stop', 'status', 'state']);
    expect(complete('--v')).toEqual(['--version']);
  });

  it("completes each command's own options, and only those", () => {
    for (const command of COMMANDS) {
      expect(complete(command.name, '--'), command.name).toEqual(optionsOf(command).map((o) => `--${o.name}`));
    }
    expect(complete('status', '--j')).toEqual([]);
    expect(complete('state', '--j')).toEqual(['--json']);
  });

  it('finds the command after options and their values', () => {
    expect(complete('--home', '/srv/a', 'state', '--w')).toEqual(['--watch']);
    expect(complete('--home', '=', '/srv/a', 'init', '--f')).toEqual(['--force']);
    expect(complete('-v', 'start', '--ins')).toEqual(['--inspect']);
  });

  it('completes --home with directories (spaces kept), --format and --log-format with their words', () => {
    for (const name of ['one', 'two words']) mkdirSync(join(dir, 'homes', name), { recursive: true });
    writeFileSync(join(dir, 'homes', 'a-file'), '');
    expect(complete('start', '--home', join(dir, 'homes/'))).toEqual([join(dir, 'homes/one'), join(dir, 'homes/two words')]);
    expect(complete('start', '--home', '=', join(dir, 'homes/o'))).toEqual([join(dir, 'homes/one')]);
    expect(complete('--home', join(dir, 'homes/t'))).toEqual([join(dir, 'homes/two words')]);
    expect(complete('machines', '--format', '')).toEqual(['mermaid', 'json']);
    expect(complete('start', '--log-format', 'j')).toEqual(['json']);
    // A host or a port: nothing to offer (not the command names).
    expect(complete('init', '--server', '')).toEqual([]);
    expect(complete('start', '-e', '')).toEqual([]);
  });

  it("completes the arguments: help's commands, completion's shells, machines' ids", () => {
    expect(complete('help', 're')).toEqual(['restart', 'reset']);
    expect(complete('completion', '')).toEqual(['--help', '--version', 'bash']);
    expect(complete('machines', 'se')).toEqual(AGENT_MACHINES.map((m) => m.id).filter((id) => id.startsWith('se')));
    expect(complete('nosuch', '')).toEqual([]);
  });
});
