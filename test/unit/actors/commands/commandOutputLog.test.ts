// commandOutputLog: a finished command's output as agent log messages (ActionQueue.log_command_output):
// passwords hidden, chunks of at most 7900 characters, Begin/End lines; and the per-command switch.
import { describe, expect, it } from 'vitest';
import { commandOutputMessages, hidePasswords, MAX_SYMBOLS_PER_LOG_MESSAGE, outputLogTurnedOff, splitOnChunks } from '../../../../src/actors/commands/commandOutputLog.js';

describe('hidePasswords', () => {
  it("replaces the values of Python dict reprs' *password keys, as ActionQueue.hide_passwords", () => {
    expect(hidePasswords("{'db_password': 'secret123'}")).toBe("{'db_password': '[PROTECTED]'}");
    expect(hidePasswords("{'user': 'bob', 'password': u'p@ss', 'x': 'y'}")).toBe("{'user': 'bob', 'password': u'[PROTECTED]', 'x': 'y'}");
    expect(hidePasswords("a 'ssl.keystore.password':'k1' and 'truststore_password':  't2'")).toBe("a 'ssl.keystore.password':'[PROTECTED]' and 'truststore_password':  '[PROTECTED]'");
    expect(hidePasswords("{'db_password': ''} password=visible")).toBe("{'db_password': ''} password=visible");
  });

  it('does the same for JSON ("key": "value"), escapes and spaces in the value included', () => {
    expect(hidePasswords('{"db_password": "secret123", "user": "bob"}')).toBe('{"db_password": "[PROTECTED]", "user": "bob"}');
    expect(hidePasswords('{\n  "hive.metastore.password" : "with space and \\"quote\\""\n}')).toBe('{\n  "hive.metastore.password" : "[PROTECTED]"\n}');
    expect(hidePasswords('{"user": "bob"}')).toBe('{"user": "bob"}');
  });
});

describe('splitOnChunks', () => {
  it('joins whole lines up to the limit and cuts only a longer line (str_utils.split_on_chunks)', () => {
    expect(splitOnChunks('one\ntwo\nthree\n', 100)).toEqual(['one\ntwo\nthree']);
    expect(splitOnChunks('aaaa\nbbbb\ncccc', 9)).toEqual(['aaaa\nbbbb', 'cccc']);
    expect(splitOnChunks('aaaa\nbbbb\ncccc', 8)).toEqual(['aaaa', 'bbbb', 'cccc']);
    expect(splitOnChunks('ab\n0123456789\ncd', 4)).toEqual(['ab', '0123', '4567', '89', 'cd']);
    expect(splitOnChunks('', 10)).toEqual(['']);
    expect(splitOnChunks('a\r\nb\rc', 10)).toEqual(['a\nb\nc']);
  });

  it('never makes a chunk longer than the limit, and loses no character but line breaks between chunks', () => {
    const text = Array.from({ length: 3000 }, (_, i) => 'x'.repeat((i * 37) % 9000)).join('\n');
    const chunks = splitOnChunks(text, MAX_SYMBOLS_PER_LOG_MESSAGE);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(MAX_SYMBOLS_PER_LOG_MESSAGE);
    expect(chunks.join('').replace(/\n/g, '')).toBe(text.replace(/\n/g, ''));
  });
});

describe('commandOutputMessages', () => {
  const command = { taskId: 7, role: 'HIVE_SERVER', roleCommand: 'START' };

  it('one message per stream between Begin and End lines, passwords hidden', () => {
    expect(commandOutputMessages({ ...command, stdout: "config {'db_password': 'secret123'}\nCommand completed successfully!\n", stderr: 'a warning\n' })).toEqual([
      'Begin command output log for command with id = 7, role = HIVE_SERVER, roleCommand = START',
      "Cmd log for taskId=7: config {'db_password': '[PROTECTED]'}\nCommand completed successfully!",
      'End command output log for command with id = 7, role = HIVE_SERVER, roleCommand = START',
      'Begin command stderr log for command with id = 7, role = HIVE_SERVER, roleCommand = START',
      'Cmd log for taskId=7: a warning',
      'End command stderr log for command with id = 7, role = HIVE_SERVER, roleCommand = START',
    ]);
  });

  it('numbered chunks for a long output; nothing for empty streams', () => {
    const stdout = `${'a'.repeat(MAX_SYMBOLS_PER_LOG_MESSAGE)}\n${'b'.repeat(10)}`;
    const messages = commandOutputMessages({ ...command, stdout, stderr: '' });
    expect(messages).toEqual([
      'Begin command output log for command with id = 7, role = HIVE_SERVER, roleCommand = START',
      `Cmd log for taskId=7 and chunk 1/2 of log for command: \n${'a'.repeat(MAX_SYMBOLS_PER_LOG_MESSAGE)}`,
      `Cmd log for taskId=7 and chunk 2/2 of log for command: \n${'b'.repeat(10)}`,
      'End command output log for command with id = 7, role = HIVE_SERVER, roleCommand = START',
    ]);
    expect(commandOutputMessages({ ...command, stdout: '', stderr: '' })).toEqual([]);
  });

  it('hides a password before cutting, so no chunk boundary can reveal part of it', () => {
    const stdout = `${'x'.repeat(7890)} 'db_password': 'abcdefghijklmnop'`;
    const text = commandOutputMessages({ ...command, stdout, stderr: '' }, 7900).join('\n');
    expect(text).not.toMatch(/abcdef|ghijkl|klmnop/);
    expect(text).toContain('[PROTEC');
  });
});

describe('outputLogTurnedOff', () => {
  it('is commandParams.log_output "false" (ActionQueue: anything else logs)', () => {
    expect(outputLogTurnedOff({ log_output: 'false' })).toBe(true);
    expect(outputLogTurnedOff({ log_output: 'FALSE' })).toBe(true);
    expect(outputLogTurnedOff({ log_output: false })).toBe(true);
    expect(outputLogTurnedOff({ log_output: 'true' })).toBe(false);
    expect(outputLogTurnedOff({ log_output: 'no' })).toBe(false);
    expect(outputLogTurnedOff({})).toBe(false);
    expect(outputLogTurnedOff(undefined)).toBe(false);
  });
});
