// A finished command's stdout and stderr in the agent's own log, with [logging]
// log_command_executes=1 (ActionQueue.execute_command / log_command_output): passwords hidden,
// cut into messages of at most 7900 characters (syslog cuts longer ones), between "Begin ..."
// and "End ..." lines. A command turns it off with commandParams.log_output = "false".

/** ActionQueue.MAX_SYMBOLS_PER_LOG_MESSAGE. */
export const MAX_SYMBOLS_PER_LOG_MESSAGE = 7900;
export const PASSWORD_REPLACEMENT = '[PROTECTED]';

// ActionQueue.PASSWORD_PATTERN: a Python dict's repr, {'db_password': 'secret'} (also u'...').
const PYTHON_PASSWORD = /('\S*password':\s*u?')(\S+)(')/g;
// This agent's addition, the same for JSON ({"db_password": "secret"}): scripts print JSON too.
// The value is a whole JSON string, escapes and spaces included.
const JSON_PASSWORD = /("[^"\s]*password"\s*:\s*")((?:[^"\\\n]|\\.)+)(")/g;

/** The text with password values replaced by [PROTECTED] (ActionQueue.hide_passwords). */
export function hidePasswords(text: string): string {
  return text.replace(PYTHON_PASSWORD, `$1${PASSWORD_REPLACEMENT}$3`).replace(JSON_PASSWORD, `$1${PASSWORD_REPLACEMENT}$3`);
}

/**
 * Whole lines joined into chunks of at most `max` characters; a longer line is cut into pieces
 * of `max` (str_utils.split_on_chunks, without its empty chunk before a long first line).
 */
export function splitOnChunks(text: string, max: number): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  // A trailing line break ends the last line, it does not start an empty one (splitlines).
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const chunks: string[] = [];
  let chunk: string | undefined;
  for (const line of lines) {
    if (chunk !== undefined && chunk.length + 1 + line.length <= max) {
      chunk += `\n${line}`;
      continue;
    }
    if (chunk !== undefined) chunks.push(chunk);
    chunk = undefined;
    if (line.length <= max) chunk = line;
    else for (let at = 0; at < line.length; at += max) chunks.push(line.slice(at, at + max));
  }
  if (chunk !== undefined) chunks.push(chunk);
  return chunks;
}

/** Whether a command turns the logging of its output off: commandParams.log_output "false" (any case, or false). */
export function outputLogTurnedOff(commandParams: Record<string, unknown> | undefined): boolean {
  const flag = commandParams?.log_output;
  return flag === false || (typeof flag === 'string' && flag.toLowerCase() === 'false');
}

export interface LoggedCommand {
  taskId: number;
  role?: string;
  roleCommand?: string;
  stdout: string;
  stderr: string;
}

/** The log messages for one finished command, in order (none for empty streams). Pure. */
export function commandOutputMessages(command: LoggedCommand, max = MAX_SYMBOLS_PER_LOG_MESSAGE): string[] {
  const messages: string[] = [];
  const about = `for command with id = ${command.taskId}, role = ${String(command.role)}, roleCommand = ${String(command.roleCommand)}`;
  for (const [stream, text] of [['output', command.stdout], ['stderr', command.stderr]] as const) {
    if (text === '') continue;
    messages.push(`Begin command ${stream} log ${about}`);
    const chunks = splitOnChunks(hidePasswords(text), max);
    if (chunks.length === 1) messages.push(`Cmd log for taskId=${command.taskId}: ${chunks[0]}`);
    else chunks.forEach((chunk, i) => messages.push(`Cmd log for taskId=${command.taskId} and chunk ${i + 1}/${chunks.length} of log for command: \n${chunk}`));
    messages.push(`End command ${stream} log ${about}`);
  }
  return messages;
}
