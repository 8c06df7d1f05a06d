// parseCliArgs: a command takes its own options (from the table) and --help/--version; any
// other is refused with that command's usage.
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../../src/cli/args.js';
import { COMMANDS } from '../../../src/cli/commandTable.js';
import { UsageError } from '../../../src/cli/usageError.js';

function refusal(argv: string[]): UsageError {
  try {
    parseCliArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('parseCliArgs', () => {
  it('reads the command, its positionals and its options (before or after the command)', () => {
    const args = parseCliArgs(['--home', '/srv/a', 'init', '--server', 'a', '--server', 'b', '--set', 'x.y=1', '--force']);
    expect(args).toMatchObject({ command: 'init', positionals: [], home: '/srv/a', servers: ['a', 'b'], set: ['x.y=1'], force: true });
    expect(parseCliArgs(['reset', 'host.example', '--home', '/h'])).toMatchObject({ command: 'reset', positionals: ['host.example'], home: '/h' });
    expect(parseCliArgs(['start', '-v', '-e', 'me', '--status-page', '0', '--log-format', 'json'])).toMatchObject({
      verbose: true, expectedHostname: 'me', statusPage: '0', logFormat: 'json',
    });
    expect(parseCliArgs(['machines', 'session', '--format', 'json'])).toMatchObject({ command: 'machines', positionals: ['session'], format: 'json' });
  });

  it('refuses words after a command that takes none, with its usage', () => {
    for (const command of COMMANDS.filter((c) => c.args === undefined)) {
      const err = refusal([command.name, '--home', '/h', 'extra', 'words']);
      expect(err.message).toBe(`${command.name} takes no arguments (got 'extra words')`);
    }
    expect(parseCliArgs(['machines', 'session', 'command'])).toMatchObject({ positionals: ['session', 'command'] });
  });

  it('takes --help and -h with any command, and with none', () => {
    for (const command of COMMANDS) {
      expect(parseCliArgs([command.name, '--help'])).toMatchObject({ command: command.name, help: true });
      expect(parseCliArgs([command.name, '-h'])).toMatchObject({ command: command.name, help: true });
    }
    expect(parseCliArgs(['--help'])).toMatchObject({ command: undefined, help: true });
    // Help asks for nothing more: the command's other options are not checked.
    expect(parseCliArgs(['start', '--help', '--home', ''])).toMatchObject({ command: 'start', help: true, home: '' });
    expect(parseCliArgs(['status', '--version'])).toMatchObject({ version: true });
  });

  it('refuses an option every command lacks, naming it, with that command\'s usage', () => {
    for (const command of COMMANDS) {
      const err = refusal([command.name, '--no-such-option']);
      expect(err.message).toBe(`Unknown option '--no-such-option' (not an option of ${command.name})`);
      expect(err.usage).toEqual({ of: command.name });
    }
    expect(refusal(['stop', '-x']).message).toBe("Unknown option '-x' (not an option of stop)");
  });

  it('refuses an option of another command, naming the commands that take it', () => {
    const cases: Array<[string[], string]> = [
      [['machines', '--force', '--json', '--watch'], '--force is not an option of machines (it is one of init)'],
      [['status', '--json'], '--json is not an option of status (it is one of state, simulate)'],
      [['stop', '-v'], '--verbose is not an option of stop (it is one of start, restart, simulate)'],
      [['start', '--server', 'h'], '--server is not an option of start (it is one of init, simulate)'],
      [['help', '--home', '/h'], '--home is not an option of help (it is one of start, stop, restart, status, reset, init, state, machines, simulate)'],
    ];
    for (const [argv, message] of cases) {
      const err = refusal(argv);
      expect(err.message, argv.join(' ')).toBe(message);
      expect(err.usage).toEqual({ of: argv[0] });
    }
  });

  it('refuses an unknown command, or none, with the general usage', () => {
    expect(refusal(['frobnicate'])).toMatchObject({ message: "unknown command 'frobnicate'", usage: 'general' });
    expect(refusal([])).toMatchObject({ message: 'no command given', usage: 'general' });
    expect(refusal(['--home', '/h'])).toMatchObject({ message: 'no command given', usage: 'general' });
    expect(refusal(['frobnicate', '--help'])).toMatchObject({ message: "unknown command 'frobnicate'", usage: 'general' });
  });

  it('refuses a missing value or a value given to a flag with the command\'s usage', () => {
    expect(refusal(['start', '--home'])).toMatchObject({ message: "Option '--home <value>' argument missing", usage: { of: 'start' } });
    expect(refusal(['state', '--json=1'])).toMatchObject({ usage: { of: 'state' } });
  });

  it('refuses bad values in one line, without usage', () => {
    expect(refusal(['start', '--home', ' '])).toMatchObject({ usage: false });
    expect(refusal(['start', '--status-page', '99999'])).toMatchObject({ message: '--status-page 99999: not a port number (0-65535; 0 picks a free one)', usage: false });
    expect(refusal(['start', '--log-format', 'xml'])).toMatchObject({ message: '--log-format xml: not a log format (ambari or json)', usage: false });
  });
});
