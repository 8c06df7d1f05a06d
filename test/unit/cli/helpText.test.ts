// The usage lines and help pages come from the command table.
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandNamed } from '../../../src/cli/commandTable.js';
import { commandHelp, generalHelp, generalUsage, usageLine } from '../../../src/cli/helpText.js';

describe('help text', () => {
  it('starts the general usage with the original control script\'s line', () => {
    expect(generalUsage(COMMANDS)[0]).toBe('Usage: ambari-agent {start|stop|restart|status|reset <server_hostname>}');
    expect(generalUsage(COMMANDS)[1]).toContain('{init|state|machines|simulate|help|completion}');
  });

  it('lists every command with its summary', () => {
    const text = generalHelp(COMMANDS);
    for (const command of COMMANDS) expect(text).toMatch(new RegExp(`^  ${command.name} +${command.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(text).toMatch(/^ {2}-h, --help +/m);
  });

  it('gives every command a usage line and a page with each of its options', () => {
    for (const command of COMMANDS) {
      const page = commandHelp(command);
      expect(page.split('\n')[0]).toBe(usageLine(command));
      expect(page).toContain(command.help);
      for (const option of command.options) expect(page, `${command.name} --${option.name}`).toMatch(new RegExp(`^  (-\\w, )?--${option.name}\\b.* {2}${option.description.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
      expect(page).toMatch(/^ {2}-h, --help +/m);
    }
  });

  it('shows values, repeats, short letters and a required option in the usage line', () => {
    expect(usageLine(commandNamed('stop')!)).toBe('Usage: ambari-agent stop [--home DIR]');
    expect(usageLine(commandNamed('reset')!)).toBe('Usage: ambari-agent reset <server_hostname> [--home DIR]');
    const init = usageLine(commandNamed('init')!);
    expect(init).toMatch(/^Usage: ambari-agent init --home DIR \[--server HOST \.\.\.\]/);
    expect(usageLine(commandNamed('start')!)).toContain('[-v|--verbose] [-e|--expected-hostname HOST]');
  });
});
