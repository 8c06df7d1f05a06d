// Help, usage refusals and bash completion through the real CLI (bin/ambari-agent): help needs
// no home and writes nothing; an option a command does not take is refused with its usage.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { BIN } from '../support/cli.mjs';
import { cli } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'aa-cli-help-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const START_USAGE = 'Usage: ambari-agent start [--home DIR] [--foreground] [-v|--verbose] [-e|--expected-hostname HOST] [--inspect] [--status-page PORT] [--log-format ambari|json]';

describe('ambari-agent help', () => {
  it('help lists every command with its summary, on stdout, exit 0', async () => {
    const result = await cli(['help']);
    expect(result.code, result.output).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Usage: ambari-agent {start|stop|restart|status|reset <server_hostname>}');
    for (const name of ['start', 'stop', 'restart', 'status', 'reset', 'init', 'state', 'machines', 'help', 'completion']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    expect((await cli(['--help'])).stdout).toBe(result.stdout);
  });

  it('help start, start --help and start -h print start\'s usage and options, read no home, write nothing', async () => {
    const home = join(scratch, 'not-a-home');
    const pages = await Promise.all([['help', 'start'], ['start', '--help'], ['start', '-h'], ['start', '--home', home, '--help']].map((args) => cli(args)));
    for (const page of pages) {
      expect(page.code, page.output).toBe(0);
      expect(page.stderr).toBe('');
      expect(page.stdout.split('\n')[0]).toBe(START_USAGE);
      expect(page.stdout).toMatch(/^Options:$/m);
      for (const option of ['--home DIR', '-v, --verbose', '-e, --expected-hostname HOST', '--foreground', '--inspect', '--status-page PORT', '--log-format ambari|json', '-h, --help']) {
        expect(page.stdout).toMatch(new RegExp(`^  ${option.replace(/[|]/g, '\\|')} +\\S`, 'm'));
      }
      expect(page.stdout).toBe(pages[0]!.stdout);
    }
    expect(existsSync(home)).toBe(false);
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('help of an unknown command: one line naming it and the general usage, exit 1', async () => {
    const result = await cli(['help', 'frobnicate']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe("ambari-agent: unknown command 'frobnicate'");
    expect(lines[1]).toBe('Usage: ambari-agent {start|stop|restart|status|reset <server_hostname>}');
  });
});

describe('options a command does not take', () => {
  it('machines --force --json --watch: refused naming --force, with machines\' usage, exit 1', async () => {
    const result = await cli(['machines', '--force', '--json', '--watch']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'ambari-agent: --force is not an option of machines (it is one of init)',
      'Usage: ambari-agent machines [MACHINE ...] [--home DIR] [--format mermaid|json]',
    ]);
  });

  it('an option no command takes: refused naming it, with the command\'s usage, exit 1', async () => {
    const result = await cli(['start', '--no-such-option']);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual(["ambari-agent: Unknown option '--no-such-option' (not an option of start)", START_USAGE]);
  });
});

describe('ambari-agent completion bash', () => {
  /** Sources the real CLI's script in bash and completes the last of `words`. */
  function complete(...words: string[]): string[] {
    const run = spawnSync(
      'bash',
      ['-c', 'source <("$1" "$2" completion bash) || exit 9; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ambari_agent; printf "%s\\n" "${COMPREPLY[@]}"', 'bash', process.execPath, BIN, 'ambari-agent', ...words],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    return run.stdout.split('\n').filter((line) => line !== '');
  }

  it('completes commands, then the command\'s options, --home with directories', () => {
    expect(complete('re')).toEqual(['restart', 'reset']);
    expect(complete('state', '--')).toEqual(['--home', '--json', '--watch', '--help', '--version']);
    expect(complete('machines', '--')).toEqual(['--home', '--format', '--help', '--version']);
    mkdirSync(join(scratch, 'completion', 'agent1'), { recursive: true });
    try {
      expect(complete('status', '--home', join(scratch, 'completion', 'ag'))).toEqual([join(scratch, 'completion', 'agent1')]);
    } finally {
      rmSync(join(scratch, 'completion'), { recursive: true, force: true });
    }
  });

  it('completion without a shell, or another shell: refused with its usage', async () => {
    for (const args of [['completion'], ['completion', 'zsh']]) {
      const result = await cli(args);
      expect(result.code).toBe(1);
      expect(result.stderr.trimEnd().split('\n')[1]).toBe('Usage: ambari-agent completion bash');
    }
  });
});
