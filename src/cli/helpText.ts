// The usage lines and help pages, printed from the command table.
import { GLOBAL_OPTIONS, optionsOf, type CommandSpec, type OptionSpec } from './commandSpec.js';

const PROGRAM = 'ambari-agent';

/** `-v|--verbose`, `--home DIR`. */
const optionWords = (option: OptionSpec): string =>
  `${option.short ? `-${option.short}|` : ''}--${option.name}${option.value ? ` ${option.value}` : ''}${option.multiple ? ' ...' : ''}`;

/** `Usage: ambari-agent start [--home DIR] [-v|--verbose] ...`. */
export function usageLine(command: CommandSpec): string {
  const options = command.options.map((option) => (option.required ? optionWords(option) : `[${optionWords(option)}]`));
  return ['Usage:', PROGRAM, command.name, ...(command.args ? [command.args] : []), ...options].join(' ');
}

/**
 * The original control script's line first (its commands, as it printed them), then the
 * others: what follows an unknown command or none.
 */
export function generalUsage(commands: readonly CommandSpec[]): string[] {
  const alternatives = (list: readonly CommandSpec[]) => `{${list.map((c) => (c.args ? `${c.name} ${c.args}` : c.name)).join('|')}}`;
  const others = commands.filter((command) => !command.original);
  return [
    `Usage: ${PROGRAM} ${alternatives(commands.filter((command) => command.original))}`,
    `       ${PROGRAM} {${others.map((command) => command.name).join('|')}} ...   (${PROGRAM} help COMMAND: its options)`,
  ];
}

/** Option lines, names padded to one column. */
function optionTable(options: readonly OptionSpec[]): string[] {
  const names = options.map((option) => `${option.short ? `-${option.short}, ` : ''}--${option.name}${option.value ? ` ${option.value}` : ''}`);
  const width = Math.max(...names.map((name) => name.length));
  return options.map((option, i) => `  ${names[i]!.padEnd(width)}  ${option.description}`);
}

/** `ambari-agent help`: the commands with their summaries, and the options every command takes. */
export function generalHelp(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    ...generalUsage(commands),
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options of every command:',
    ...optionTable(GLOBAL_OPTIONS),
  ].join('\n');
}

/** `ambari-agent help CMD`, `ambari-agent CMD --help`. */
export function commandHelp(command: CommandSpec): string {
  return [usageLine(command), '', command.help, '', 'Options:', ...optionTable(optionsOf(command))].join('\n');
}
