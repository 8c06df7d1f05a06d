import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import getPort from 'get-port';
import { ambariVersionFile, versionProblem } from '../../actors/link/ambariVersion.js';
import { envFilePath } from '../../config/envFile.js';
import { ConfigError } from '../../config/errors.js';
import { configFromText, iniPathFor } from '../../config/loadConfig.js';
import { checkControlDirs, virtualFileSystemOf } from '../../config/paths.js';
import { SCHEMA } from '../../config/schema.js';
import { ENV_FILE_TEMPLATE, renderIni } from '../../config/template.js';
import type { CliArgs } from '../args.js';
import { EXIT, complain, say } from '../context.js';
import { ephemeralRange, pingPortCandidates } from '../pingPorts.js';
import { DEFAULT_AMBARI_VERSION } from '../../version.js';

/** `ambari-agent init --home DIR`: a complete, commented ini and every directory it names. */
export async function init(args: CliArgs): Promise<number> {
  if (!args.home) {
    complain('ERROR: init needs --home DIR (the directory the new agent lives under)');
    return EXIT.ERROR;
  }
  const home = resolve(args.home);
  // Node's recursive mkdir spins forever under /proc: refuse before making anything.
  const virtual = virtualFileSystemOf(home);
  if (virtual) throw new ConfigError(`--home ${args.home} is under ${virtual}, a virtual file system where the agent cannot keep files`);
  const file = iniPathFor(home);
  if (existsSync(file) && !args.force) {
    complain(`ERROR: ${file} already exists; use --force to overwrite it`);
    return EXIT.ERROR;
  }
  const ambariVersion = args.ambariVersion ?? DEFAULT_AMBARI_VERSION;
  const versionError = versionProblem(ambariVersion);
  if (versionError) throw new ConfigError(`--ambari-version ${versionError}`);
  const overrides = parseSettings(args.set);
  const text = renderIni({
    home,
    servers: args.servers.length > 0 ? args.servers.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean) : ['localhost'],
    urlPort: portArg('--url-port', args.urlPort),
    securedUrlPort: portArg('--secured-url-port', args.securedUrlPort),
    pingPort: overrides['agent.ping_port'] !== undefined ? Number(overrides['agent.ping_port']) : await freePingPort(),
    overrides,
  });
  // Validate what we are about to write exactly as the agent will read it.
  const config = configFromText(text, file, home);
  // As start will check them, before anything is made: no dir of the root or under /proc.
  checkControlDirs(config.ini);

  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  const envFile = envFilePath(dirname(file));
  // ambari-env.sh may hold the passphrase: the owner's only.
  if (!existsSync(envFile)) writeFileSync(envFile, ENV_FILE_TEMPLATE, { mode: 0o600 });
  const { agent, security } = config.ini;
  for (const dir of [agent.logdir, agent.piddir, agent.prefix, agent.cache_dir]) mkdirSync(dir, { recursive: true });
  // The agent's private key lives there: 0700 even when the directory was there before.
  mkdirSync(security.keysdir, { recursive: true, mode: 0o700 });
  chmodSync(security.keysdir, 0o700);
  const versionFile = ambariVersionFile(agent.prefix);
  // --force rewrites the ini; a version the operator set is kept unless --ambari-version is given.
  if (args.ambariVersion !== undefined || !existsSync(versionFile)) writeFileSync(versionFile, `${ambariVersion}\n`);

  say(`Wrote ${file}`);
  say(`Server(s): ${config.ini.server.hostname}  url_port: ${config.ini.server.url_port}  ping_port: ${agent.ping_port}`);
  say(`Ambari version: ${readFileSync(versionFile, 'utf8').trim()} (in ${versionFile}; it must be the server's)`);
  say(`Start this agent with: ambari-agent start --home ${home}`);
  return EXIT.OK;
}

function portArg(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new ConfigError(`${flag} '${value}' is not a valid port number (0-65535)`);
  return Number(value);
}

/** `--set section.key=value`: the key must be one the agent knows. */
function parseSettings(settings: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const setting of settings) {
    const match = /^([a-z_]+)\.([A-Za-z_]+)=(.*)$/.exec(setting);
    const section = match?.[1] as keyof typeof SCHEMA | undefined;
    if (!match || !section || !(section in SCHEMA) || !(match[2]! in SCHEMA[section])) {
      throw new ConfigError(`--set '${setting}': expected section.key=value with a known key (e.g. server.connect_retry_delay=5)`);
    }
    result[`${section}.${match[2]}`] = match[3]!;
  }
  return result;
}

/** A free port outside the ephemeral range (pingPorts.ts); get-port's own pick if all 64 are taken. */
async function freePingPort(): Promise<number> {
  const range = ephemeralRange();
  const port = await getPort({ host: '0.0.0.0', port: pingPortCandidates(range) });
  if (port >= range[0] && port <= range[1]) say(`WARNING: ping_port ${port} is inside the ephemeral port range ${range[0]}-${range[1]}; set [agent] ping_port to a port outside it`);
  return port;
}
