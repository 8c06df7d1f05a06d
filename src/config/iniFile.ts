// Reads an ambari-agent.ini the way Python's ConfigParser accepts it, then hands the
// normalised text to the `ini` package. The pre-pass exists because `ini` accepts anything
// (a broken section header silently becomes a key) and knows no continuation lines, which the
// original's `[heartbeat] dirs` uses.
import { parse } from 'ini';
import { ConfigError } from './errors.js';

export type RawIni = Record<string, Record<string, string>>;

const SECTION = /^\[([^\]\s][^\]]*)\]\s*$/;
const ASSIGNMENT = /^([^=:\s][^=:]*?)\s*[=:]\s?(.*)$/;

interface Entry {
  section: string;
  key: string;
  parts: string[];
}

/**
 * Validates and parses ini text. `file` only names the source in error messages.
 * Section and key names are lower-cased (ConfigParser is case-insensitive for both in practice:
 * Ambari's sections are lower case and its key lookups go through optionxform).
 */
export function parseIniText(text: string, file: string): RawIni {
  const entries: Entry[] = [];
  let section: string | undefined;
  let last: Entry | undefined;

  text.split(/\r?\n/).forEach((line, index) => {
    const where = `${file} line ${index + 1}`;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    if (/^\s/.test(line)) {
      if (!last) throw new ConfigError(`${where}: indented text '${trimmed}' continues no key`);
      last.parts.push(trimmed);
      return;
    }
    if (line.startsWith('[')) {
      const header = SECTION.exec(line);
      if (!header) throw new ConfigError(`${where}: malformed section header '${trimmed}' (expected [name])`);
      section = header[1]!.trim().toLowerCase();
      last = undefined;
      return;
    }
    const assignment = ASSIGNMENT.exec(line);
    if (!assignment) {
      throw new ConfigError(`${where}: cannot parse '${trimmed}' (expected [section], key=value or a # comment)`);
    }
    if (section === undefined) {
      throw new ConfigError(`${where}: key '${assignment[1]}' appears before any [section] header`);
    }
    last = { section, key: assignment[1]!.toLowerCase(), parts: [assignment[2]!.trim()] };
    entries.push(last);
  });

  // Re-emit a normalised text: one line per key, continuation lines folded with commas (the
  // only multi-line key Ambari has is a comma list) so that `ini` can parse it.
  const bySection = new Map<string, string[]>();
  for (const entry of entries) {
    const lines = bySection.get(entry.section) ?? [];
    const value = entry.parts.length === 1 ? entry.parts[0]! : foldContinuation(entry.parts);
    lines.push(`${escapeKey(entry.key)}=${quote(value)}`);
    bySection.set(entry.section, lines);
  }
  const normalised = [...bySection].map(([name, lines]) => `[${escapeKey(name)}]\n${lines.join('\n')}`).join('\n');
  const parsed = parse(normalised) as Record<string, unknown>;

  const result: RawIni = {};
  for (const [name] of bySection) {
    const values = (parsed[name] ?? {}) as Record<string, unknown>;
    result[name] = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
  }
  return result;
}

/** A value given over several lines, as one comma list (the only multi-line values Ambari has). */
export function foldContinuation(parts: string[]): string {
  return parts
    .flatMap((part) => part.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .join(',');
}

// ini treats dots in section names as nesting and `;`/`#` in values as comments; values are
// JSON-quoted so they arrive exactly as written, and dotted names are escaped.
function quote(value: string): string {
  return JSON.stringify(value);
}

function escapeKey(name: string): string {
  return name.replace(/\./g, '\\.');
}
