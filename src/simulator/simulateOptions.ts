// `ambari-agent simulate`'s options, checked: each mistake is one line naming the option and
// the value, as a UsageError (exit 1 with the command's usage line).
import { UsageError } from '../cli/usageError.js';
import type { CommandMode } from './simulatedHost.js';
import { isHostnamePrefix } from './hostNames.js';

export const COMMAND_MODES: readonly CommandMode[] = ['instant', 'real'];
export const DEFAULT_RAMP_PER_SECOND = 100;
export const DEFAULT_HOSTNAME_PREFIX = 'sim';
/** More hosts than this in one process is a typo rather than a plan (each needs a socket). */
export const MAX_AGENTS = 100_000;

export interface SimulateOptions {
  agents: number;
  /** Undefined: the ini's [server] hostname (first of the list). */
  server?: string;
  urlPort?: number;
  securedUrlPort?: number;
  hostnamePrefix: string;
  startIndex: number;
  rampPerSecond: number;
  durationSeconds?: number;
  commands: CommandMode;
  json: boolean;
  etcHosts: boolean;
  ambariVersion?: string;
  verbose: boolean;
}

type Values = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

const OF = { of: 'simulate' } as const;

function integer(values: Values, name: string, min: number, max: number): number | undefined {
  const text = values[name] as string | undefined;
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${name} ${text}: not a whole number from ${min} to ${max}`, OF);
  return Number(text);
}

function positive(values: Values, name: string): number | undefined {
  const text = values[name] as string | undefined;
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new UsageError(`--${name} ${text}: not a number greater than 0`, OF);
  return value;
}

export function simulateOptions(values: Values): SimulateOptions {
  const agents = integer(values, 'agents', 1, MAX_AGENTS);
  if (agents === undefined) throw new UsageError('simulate needs --agents N (how many hosts to simulate)', OF);
  const servers = (values.server as string[] | undefined) ?? [];
  if (servers.length > 1 || servers.some((server) => server.includes(','))) throw new UsageError(`--server ${servers.join(',')}: the simulated hosts talk to one server; give one --server HOST`, OF);
  const server = servers[0];
  if (server !== undefined && server.trim() === '') throw new UsageError("--server '': give the server's host name", OF);
  const hostnamePrefix = (values['hostname-prefix'] as string | undefined) ?? DEFAULT_HOSTNAME_PREFIX;
  if (!isHostnamePrefix(hostnamePrefix)) throw new UsageError(`--hostname-prefix ${hostnamePrefix}: not a host name (letters, digits, '-' and '.')`, OF);
  const commands = (values.commands as string | undefined) ?? 'instant';
  if (!(COMMAND_MODES as readonly string[]).includes(commands)) throw new UsageError(`--commands ${commands}: not a command mode (${COMMAND_MODES.join(' or ')})`, OF);
  const ambariVersion = values['ambari-version'] as string | undefined;
  if (ambariVersion !== undefined && !/^\d+(\.\d+)*$/.test(ambariVersion)) throw new UsageError(`--ambari-version ${ambariVersion}: not a version such as 2.8.0.0`, OF);
  const urlPort = integer(values, 'url-port', 1, 65535);
  const securedUrlPort = integer(values, 'secured-url-port', 1, 65535);
  const durationSeconds = positive(values, 'duration');
  return {
    agents,
    ...(server !== undefined ? { server } : {}),
    ...(urlPort !== undefined ? { urlPort } : {}),
    ...(securedUrlPort !== undefined ? { securedUrlPort } : {}),
    hostnamePrefix,
    startIndex: integer(values, 'start-index', 0, 99_999_999) ?? 1,
    rampPerSecond: positive(values, 'ramp') ?? DEFAULT_RAMP_PER_SECOND,
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    commands: commands as CommandMode,
    json: values.json === true,
    etcHosts: values['etc-hosts'] === true,
    ...(ambariVersion !== undefined ? { ambariVersion } : {}),
    verbose: values.verbose === true,
  };
}
