// The shape of the command table (commandTable.ts) and the options every command takes.
import type { CliArgs } from './args.js';

export interface OptionSpec {
  /** The long name, without `--`. */
  name: string;
  /** One letter: `-v` for `--verbose`. */
  short?: string;
  /** The value's placeholder (`DIR`, `PORT`); an option without one is a flag. */
  value?: string;
  /** Given more than once, each value counts (`--server A --server B`). */
  multiple?: boolean;
  /** Shown without brackets in the usage line (the handler checks it). */
  required?: boolean;
  description: string;
  /** What bash completes for the value: directories, or these words. */
  complete?: 'dirs' | readonly string[];
}

/** The whole table goes to the handler: `help` and `completion` print from it. */
export type CommandHandler = (args: CliArgs, commands: readonly CommandSpec[]) => number | Promise<number>;

export interface CommandSpec {
  name: string;
  /** The positional arguments as the usage line shows them (`<server_hostname>`, `[MACHINE ...]`). */
  args?: string;
  /** One of the original control script's commands: its usage line lists them first, as the original's did. */
  original?: boolean;
  /** One line, for `ambari-agent help`. */
  summary: string;
  /** A few lines, for `ambari-agent help NAME`. */
  help: string;
  options: readonly OptionSpec[];
  /** What bash completes for the positional arguments. */
  completeArgs?: () => readonly string[] | Promise<readonly string[]>;
  run: CommandHandler;
}

/** Taken by every command and with none: `ambari-agent --version`, `ambari-agent start --help`. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'help', short: 'h', description: 'print this help (with a command: that command\'s usage and options) and exit' },
  { name: 'version', description: "print this package's version and exit" },
];

/** Every option a command takes: its own, then the global ones. */
export const optionsOf = (command: CommandSpec): readonly OptionSpec[] => [...command.options, ...GLOBAL_OPTIONS];
