// Turns the ini file into the typed AgentIni: defaults for what is missing, a one-line
// ConfigError for a value of the wrong type, and the original's DataCleaner clamps (and its
// fallback for an unknown command_file_retention_policy).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { parseIniText, type RawIni } from './iniFile.js';
import { retentionPolicyOf, SCHEMA, type AgentIni, type KeyKind } from './schema.js';

export interface LoadedConfig {
  /** Path of the ini file that was (or would have been) read. */
  file: string;
  /** `--home` as given ("" when absent). */
  home: string;
  ini: AgentIni;
  /** Operator-facing warnings (missing file, clamped values): logged and shown by `start`. */
  warnings: string[];
  /** Every value as read, including keys this agent does not know. */
  raw: RawIni;
}

export const INI_RELATIVE_PATH = 'etc/ambari-agent/conf/ambari-agent.ini';

export function iniPathFor(home: string): string {
  return home ? join(resolve(home), INI_RELATIVE_PATH) : `/${INI_RELATIVE_PATH}`;
}

/** Paths in the ini that are directories or files; relative ones are taken from the home dir. */
const PATH_KEYS: Array<[keyof AgentIni, string]> = [
  ['agent', 'logdir'],
  ['agent', 'piddir'],
  ['agent', 'prefix'],
  ['agent', 'cache_dir'],
  ['agent', 'tmp_dir'],
  ['agent', 'system_resource_overrides'],
  ['security', 'keysdir'],
];

export function loadConfig(home = ''): LoadedConfig {
  const file = iniPathFor(home);
  // Without --home the original runs on defaults. A home without an ini is a mistake (a typo,
  // a home not made yet): running on defaults would use the system's paths and ports.
  if (home !== '' && !existsSync(file)) throw new ConfigError(`no ini at ${file}: ${resolve(home)} is not an agent home (make one with: ambari-agent init --home ${home})`);
  if (!existsSync(file)) return configFromText(undefined, file, home);
  try {
    return configFromText(readFileSync(file, 'utf8'), file, home);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Parses and types ini text (undefined: the file is missing, defaults apply). */
export function configFromText(text: string | undefined, file: string, home = ''): LoadedConfig {
  const warnings: string[] = [];
  let raw: RawIni = {};
  if (text === undefined) warnings.push(`No config found at ${file}, use default`);
  else raw = parseIniText(text, file);
  const ini = typedIni(raw, file);
  const base = home ? resolve(home) : process.cwd();
  for (const [section, key] of PATH_KEYS) {
    const values = ini[section] as Record<string, unknown>;
    const value = values[key];
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) values[key] = resolve(base, value);
  }
  checkRanges(ini, file);
  warnings.push(...applyClamps(ini));
  return { file, home, ini, warnings, raw };
}

function typedIni(raw: RawIni, file: string): AgentIni {
  const result: Record<string, Record<string, unknown>> = {};
  for (const [section, keys] of Object.entries(SCHEMA)) {
    const given = raw[section] ?? {};
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(keys)) {
      const text = given[key.toLowerCase()];
      out[key] = text === undefined ? cloneDefault(spec.default) : coerce(text, spec.kind, spec.default === undefined, file, section, key);
    }
    result[section] = out;
  }
  return result as AgentIni;
}

function cloneDefault(value: unknown): unknown {
  return Array.isArray(value) ? [...value] : value;
}

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true, false: false, '1': true, '0': false, yes: true, no: false, on: true, off: false,
};

function coerce(text: string, kind: KeyKind, optional: boolean, file: string, section: string, key: string): unknown {
  const value = text.trim();
  const bad = (expected: string) =>
    new ConfigError(`${file}: [${section}] ${key} = '${text}' is not ${expected}`);
  if (value === '' && optional) return undefined;
  switch (kind) {
    case 'string':
      return value;
    case 'list':
      return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    case 'int':
      if (!/^-?\d+$/.test(value)) throw bad('a whole number');
      // Beyond 2^53 the number read is not the one written.
      if (!Number.isSafeInteger(Number(value))) throw bad(`a whole number within ±${Number.MAX_SAFE_INTEGER}`);
      return Number(value);
    case 'port': {
      if (!/^\d+$/.test(value) || Number(value) > 65535) throw bad('a valid port number (0-65535)');
      return Number(value);
    }
    case 'bool': {
      const word = BOOLEAN_WORDS[value.toLowerCase()];
      if (word === undefined) throw bad('a boolean (true/false, 1/0, yes/no, on/off)');
      return word;
    }
  }
}

/**
 * Values the types allow but that would make the agent misbehave: a retry delay of 0 or less
 * busy-loops, a negative size budget makes every cleaner pass delete every command file.
 */
const LOWER_BOUNDS: Array<{ section: 'server' | 'agent'; key: string; min: number; why: string }> = [
  { section: 'server', key: 'connect_retry_delay', min: 1, why: 'seconds between connection attempts' },
  { section: 'server', key: 'max_reconnect_retry_delay', min: 1, why: 'seconds' },
  { section: 'server', key: 'reconnect_delay', min: 1, why: 'seconds before reconnecting' },
  { section: 'agent', key: 'data_cleanup_max_size_MB', min: 0, why: 'megabytes of command files kept' },
  { section: 'agent', key: 'data_cleanup_interval', min: 0, why: 'seconds; 0 turns the cleaner off' },
  { section: 'agent', key: 'alert_interval_unit_seconds', min: 1, why: 'seconds an alert interval of 1 stands for' },
  { section: 'agent', key: 'alert_reports_interval', min: 0, why: 'seconds between alert reports; 0 turns them off' },
];

/**
 * Seconds that become a timer's delay. Node.js holds at most 2^31-1 ms in a timer and fires a
 * longer one at once (with a TimeoutOverflowWarning): a huge delay busy-loops as 0 would.
 */
const TIMER_KEYS: Array<{ section: 'server' | 'agent' | 'heartbeat'; key: string }> = [
  { section: 'server', key: 'connect_retry_delay' },
  { section: 'server', key: 'max_reconnect_retry_delay' },
  { section: 'server', key: 'reconnect_delay' },
  { section: 'agent', key: 'data_cleanup_interval' },
  { section: 'agent', key: 'command_reports_interval' },
  { section: 'agent', key: 'status_commands_run_interval' },
  { section: 'agent', key: 'status_command_timeout' },
  { section: 'agent', key: 'alert_reports_interval' },
  { section: 'agent', key: 'alert_interval_unit_seconds' },
  { section: 'heartbeat', key: 'state_interval_seconds' },
];
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function checkRanges(ini: AgentIni, file: string): void {
  for (const { section, key, min, why } of LOWER_BOUNDS) {
    const value = (ini[section] as unknown as Record<string, number>)[key]!;
    if (value < min) throw new ConfigError(`${file}: [${section}] ${key} = '${value}' is below ${min} (${why})`);
  }
  // An empty list would have discovery connect to no server (it tried "undefined").
  const hosts = ini.server.hostname.split(',').map((host) => host.trim()).filter((host) => host !== '');
  if (hosts.length === 0) throw new ConfigError(`${file}: [server] hostname = '${ini.server.hostname}' names no server (a comma list of Ambari server hosts)`);
  for (const { section, key } of TIMER_KEYS) {
    const value = (ini[section] as unknown as Record<string, number>)[key]!;
    if (value > MAX_TIMER_SECONDS) throw new ConfigError(`${file}: [${section}] ${key} = '${value}' is above ${MAX_TIMER_SECONDS} (seconds; the longest timer Node.js holds, about 24.8 days)`);
  }
}

// The original DataCleaner's limits: it never runs more often than hourly, never deletes files
// younger than a day, and caps the size budget at 10 000 MB.
const MIN_CLEANUP_MAX_AGE = 86400;
const MIN_CLEANUP_INTERVAL = 3600;
const MAX_CLEANUP_SIZE_MB = 10000;

function applyClamps(ini: AgentIni): string[] {
  const warnings: string[] = [];
  const agent = ini.agent;
  if (agent.data_cleanup_max_age < MIN_CLEANUP_MAX_AGE) {
    warnings.push(`The minimum value allowed for data_cleanup_max_age is 1 day. Setting data_cleanup_max_age to ${MIN_CLEANUP_MAX_AGE}.`);
    agent.data_cleanup_max_age = MIN_CLEANUP_MAX_AGE;
  }
  if (agent.data_cleanup_interval > 0 && agent.data_cleanup_interval < MIN_CLEANUP_INTERVAL) {
    warnings.push(`The minimum value allowed for data_cleanup_interval is 1 hour. Setting data_cleanup_interval to ${MIN_CLEANUP_INTERVAL}.`);
    agent.data_cleanup_interval = MIN_CLEANUP_INTERVAL;
  }
  if (agent.data_cleanup_max_size_MB > MAX_CLEANUP_SIZE_MB) {
    warnings.push(`The maximum value allowed for data_cleanup_max_size_MB is 10000 MB (10 GB). Setting data_cleanup_max_size_MB to ${MAX_CLEANUP_SIZE_MB}.`);
    agent.data_cleanup_max_size_MB = MAX_CLEANUP_SIZE_MB;
  }
  // AmbariConfig.command_file_retention_policy: case-insensitive; anything else means keep.
  const policy = retentionPolicyOf(agent.command_file_retention_policy);
  if (policy !== undefined) agent.command_file_retention_policy = policy;
  else {
    warnings.push(`The configured command_file_retention_policy '${agent.command_file_retention_policy}' is invalid (keep, remove or remove_on_success); using keep`);
    agent.command_file_retention_policy = 'keep';
  }
  return warnings;
}

/** Directory holding the ini; ambari-env.sh lives beside it. */
export function confDir(config: LoadedConfig): string {
  return dirname(config.file);
}
