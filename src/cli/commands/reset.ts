import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { foldContinuation } from '../../config/iniFile.js';
import { EXIT, complain, say, type CommandContext } from '../context.js';

export async function reset({ args, config, paths }: CommandContext): Promise<number> {
  if (args.positionals.length !== 1 || args.positionals[0]!.trim() === '') {
    complain('You must supply the hostname of the Ambari Server with the restore option. (e.g. ambari-agent reset c6401.ambari.apache.org)');
    return EXIT.ERROR;
  }
  if (existsSync(paths.pidFile)) {
    complain('ambari-agent is running. You must stop it before using reset.');
    return EXIT.ERROR;
  }
  const host = args.positionals[0]!;
  try {
    say('Resetting ambari-agent');
    if (!existsSync(config.file)) throw new Error(`no config file at ${config.file}`);
    const { text, previous } = setServerHostname(readFileSync(config.file, 'utf8'), host);
    if (previous !== host) {
      say(`Updating server host from ${previous ?? '(none)'} to ${host}`);
      writeFileSync(config.file, text);
    }
    const keysdir = config.ini.security.keysdir;
    say('Removing Agent certificates...');
    if (existsSync(keysdir)) {
      for (const entry of readdirSync(keysdir)) rmSync(join(keysdir, entry), { recursive: true, force: true });
    }
  } catch (err) {
    complain(`ambari-agent could not be reset. ${(err as Error).message}`);
    return EXIT.ERROR;
  }
  say(`ambari-agent has been reset successfully. Changed Ambari Server hostname to ${host} and certificates were cleared.`);
  return EXIT.OK;
}

/**
 * Rewrites `[server] hostname` in ini text, keeping every other line (comments included) as
 * it was. Adds the key, or the section, when missing.
 */
export function setServerHostname(text: string, host: string): { text: string; previous?: string } {
  const lines = text.split('\n');
  let section = '';
  let serverHeader = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      section = header[1]!.trim().toLowerCase();
      if (section === 'server') serverHeader = i;
      continue;
    }
    const match = section === 'server' ? /^hostname\s*[=:]\s?(.*)$/i.exec(line) : null;
    if (!match) continue;
    // Drop continuation lines of the old value.
    let end = i + 1;
    while (end < lines.length && /^\s+\S/.test(lines[end]!)) end++;
    const previous = foldContinuation([match[1]!, ...lines.slice(i + 1, end)]);
    lines.splice(i, end - i, `hostname=${host}`);
    return { text: lines.join('\n'), previous };
  }
  if (serverHeader >= 0) lines.splice(serverHeader + 1, 0, `hostname=${host}`);
  else lines.unshift('[server]', `hostname=${host}`, '');
  return { text: lines.join('\n') };
}
