// The ini `ambari-agent init` writes: every key of the schema, with a short comment where the
// key is not self-explanatory, and every path placed under the chosen home directory.
import { join } from 'node:path';
import { SCHEMA, type SectionName } from './schema.js';

const COMMENTS: Record<string, string> = {
  'server.hostname': 'Ambari server(s): a comma-separated list, tried in order',
  'server.url_port': 'HTTPS port for registration probes (/ca) and certificate signing',
  'server.secured_url_port': 'WSS port of the STOMP agent endpoint (/agent/stomp/v1)',
  'server.connect_retry_delay': 'Seconds between tries while a server does not answer',
  'server.reconnect_delay': 'Seconds from a lost connection (or a failed registration) to the next attempt (at least 1)',
  'agent.prefix': 'Working dir for command files; the data cleaner works only below it',
  'agent.ping_port': 'Held for the agent\'s lifetime: the machine-wide lock, answers "OK"',
  'agent.data_cleanup_interval': 'Seconds between clean-ups (0 disables; at least 3600)',
  'agent.data_cleanup_max_age': 'Seconds before command files are deleted (at least 86400)',
  'agent.data_cleanup_max_size_MB': 'Size budget of command files, oldest deleted first (at most 10000)',
  'agent.hostname_script': 'Executable printing this host\'s name (default: the FQDN)',
  'agent.inspect': '1: live inspection in the Stately inspector, bridge page on 127.0.0.1:inspect_port',
  'agent.inspect_port': 'Port of the inspector bridge page (0: any free port; `status` shows it)',
  'agent.status_page_port': 'Serve the state page on 127.0.0.1 at this port (0: any free port; unset: off)',
  'agent.alert_interval_unit_seconds': 'Seconds an alert definition interval of 1 stands for (60: minutes, as the server means them; less only for tests)',
  'agent.max_report_frame_bytes': 'Largest command-report frame in bytes; more reports go in several frames (keep under the server\'s stomp.max_incoming.message.size)',
  'agent.tmp_dir': 'Temp dir handed to every command script (created, mode 0700, when missing)',
  'security.force_https_protocol': 'Passed to command scripts: the TLS protocol they use towards the server',
  'security.ca_cert_path': 'Passed to command scripts: a file of trusted CA certificates (empty: none)',
  'logging.log_out_files': 'Uncomment (any value) to have command scripts called with -o',
  'agent.command_file_retention_policy': 'command-ID.json after a command (it holds passwords): keep, remove, or remove_on_success (exit code 0); status commands\' are always removed',
  'logging.log_command_executes': '1: a finished command\'s stdout and stderr go to this log too (passwords hidden; commandParams.log_output=false turns it off per command)',
  'heartbeat.log_max_symbols_size': 'Characters of stdout / stderr a command report keeps (the tail)',
  'security.ssl_verify_cert': '1: verify the server certificate against keysdir/server_crt',
  'heartbeat.dirs': 'Directories whose existence is reported (comma list)',
};

export interface TemplateOptions {
  home: string;
  servers: string[];
  urlPort?: number;
  securedUrlPort?: number;
  pingPort: number;
  /** Extra `section.key=value` settings, already validated against the schema. */
  overrides: Record<string, string>;
}

export function homePaths(home: string) {
  return {
    logdir: join(home, 'var/log/ambari-agent'),
    piddir: join(home, 'var/run/ambari-agent'),
    prefix: join(home, 'var/lib/ambari-agent/data'),
    cache_dir: join(home, 'var/lib/ambari-agent/cache'),
    tmp_dir: join(home, 'var/lib/ambari-agent/tmp'),
    keysdir: join(home, 'var/lib/ambari-agent/keys'),
    system_resource_overrides: join(home, 'etc/resource_overrides'),
  };
}

export function renderIni(options: TemplateOptions): string {
  const paths = homePaths(options.home);
  const chosen: Record<string, string> = {
    'server.hostname': options.servers.join(','),
    'agent.ping_port': String(options.pingPort),
    'agent.logdir': paths.logdir,
    'agent.piddir': paths.piddir,
    'agent.prefix': paths.prefix,
    'agent.cache_dir': paths.cache_dir,
    'agent.tmp_dir': paths.tmp_dir,
    'agent.system_resource_overrides': paths.system_resource_overrides,
    'security.keysdir': paths.keysdir,
    ...(options.urlPort !== undefined ? { 'server.url_port': String(options.urlPort) } : {}),
    ...(options.securedUrlPort !== undefined ? { 'server.secured_url_port': String(options.securedUrlPort) } : {}),
    ...options.overrides,
  };
  const lines = [
    '# ambari-agent.ini, written by `ambari-agent init`.',
    `# Every path below lies under ${options.home}; run this agent with --home ${options.home}.`,
    '',
  ];
  for (const [section, keys] of Object.entries(SCHEMA) as Array<[SectionName, Record<string, { default: unknown }>]>) {
    lines.push(`[${section}]`);
    for (const [key, spec] of Object.entries(keys)) {
      const name = `${section}.${key}`;
      if (COMMENTS[name]) lines.push(`# ${COMMENTS[name]}`);
      const value = chosen[name] ?? defaultText(spec.default);
      lines.push(value === undefined ? `#${key}=` : `${key}=${value}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function defaultText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

export const ENV_FILE_TEMPLATE = `# ambari-env.sh: sourced by /bin/sh when the agent starts (as the original's control
# script does); what it exports is the agent's environment, and its command scripts'.
# The variable named by [security] passphrase_env_var_name (AMBARI_PASSPHRASE) is the
# passphrase used when the agent asks the server to sign its certificate ("DEV" when unset).
# PYTHON picks the interpreter of PYTHON command scripts (default: python3 on PATH), and
# PYTHONPATH must reach Ambari's libraries (resource_management, ambari_commons) for stack scripts.
# AMBARI_AGENT_NODE_FLAGS replaces the Node.js flags of the agent process (default:
# --lite-mode --no-expose-wasm, about 10 MB less; empty gives back V8's optimizing compilers).
#export AMBARI_PASSPHRASE=DEV
#export PYTHON=/usr/bin/python3.9
#export PYTHONPATH=/usr/lib/ambari-agent/lib:$PYTHONPATH
#export AMBARI_AGENT_NODE_FLAGS=
`;
