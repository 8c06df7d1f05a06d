// The command table: every command has its help, and one option name means one thing.
import { describe, expect, it } from 'vitest';
import { GLOBAL_OPTIONS, optionsOf } from '../../../src/cli/commandSpec.js';
import { COMMANDS, commandNamed } from '../../../src/cli/commandTable.js';

describe('the command table', () => {
  it('names each command once, each with a summary, a help text and a handler', () => {
    const names = COMMANDS.map((command) => command.name);
    expect(new Set(names).size).toBe(names.length);
    for (const command of COMMANDS) {
      expect(command.summary.trim(), command.name).not.toBe('');
      expect(command.summary, command.name).not.toContain('\n');
      expect(command.help.trim(), command.name).not.toBe('');
      expect(typeof command.run, command.name).toBe('function');
    }
  });

  it('has the original control script\'s commands and this one\'s own', () => {
    expect(COMMANDS.filter((c) => c.original).map((c) => c.name)).toEqual(['start', 'stop', 'restart', 'status', 'reset']);
    for (const name of ['init', 'state', 'machines', 'help', 'completion']) expect(commandNamed(name)?.name).toBe(name);
    expect(commandNamed('nosuch')).toBeUndefined();
  });

  it('describes every option; a name (and a short letter) means the same option in every command', () => {
    const seen = new Map<string, { short?: string; takesValue: boolean; multiple: boolean }>();
    for (const command of COMMANDS) {
      const own = optionsOf(command);
      expect(new Set(own.map((o) => o.name)).size, command.name).toBe(own.length);
      for (const option of own) {
        expect(option.description.trim(), `${command.name} --${option.name}`).not.toBe('');
        const shape = { short: option.short, takesValue: option.value !== undefined, multiple: option.multiple === true };
        expect(seen.get(option.name) ?? shape, `--${option.name}`).toEqual(shape);
        seen.set(option.name, shape);
      }
    }
    const shorts = [...seen.entries()].flatMap(([name, shape]) => (shape.short ? [`${shape.short}=${name}`] : []));
    expect(new Set(shorts.map((s) => s[0])).size).toBe(shorts.length);
  });

  it('gives --help and --version to every command, and --home to those that read a home', () => {
    expect(GLOBAL_OPTIONS.map((o) => o.name)).toEqual(['help', 'version']);
    const withHome = COMMANDS.filter((c) => c.options.some((o) => o.name === 'home')).map((c) => c.name);
    expect(withHome).toEqual(['start', 'stop', 'restart', 'status', 'reset', 'init', 'state', 'machines', 'simulate']);
    expect(commandNamed('init')!.options.find((o) => o.name === 'home')!.required).toBe(true);
  });
});
