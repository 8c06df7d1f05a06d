// Every ini key the agent knows, with the original's default and the type its value must have.
// The typed AgentConfig below is derived from this one table, so a key is declared once.

export type KeyKind = 'string' | 'int' | 'bool' | 'port' | 'list';

interface KeySpec<K extends KeyKind, D> {
  kind: K;
  default: D;
}

const str = (d: string): KeySpec<'string', string> => ({ kind: 'string', default: d });
const optStr = (): KeySpec<'string', string | undefined> => ({ kind: 'string', default: undefined });
const int = (d: number): KeySpec<'int', number> => ({ kind: 'int', default: d });
const optInt = (): KeySpec<'int', number | undefined> => ({ kind: 'int', default: undefined });
const port = (d: number): KeySpec<'port', number> => ({ kind: 'port', default: d });
const optPort = (): KeySpec<'port', number | undefined> => ({ kind: 'port', default: undefined });
const bool = (d: boolean): KeySpec<'bool', boolean> => ({ kind: 'bool', default: d });
const list = (d: string[]): KeySpec<'list', string[]> => ({ kind: 'list', default: d });

/** [agent] command_file_retention_policy values (AmbariConfig); anything else is a warning and `keep`. */
export const COMMAND_FILE_RETENTION_POLICIES = ['keep', 'remove', 'remove_on_success'] as const;
export type CommandFileRetentionPolicy = (typeof COMMAND_FILE_RETENTION_POLICIES)[number];
/** The policy a value names (any case), else undefined. */
export function retentionPolicyOf(value: string): CommandFileRetentionPolicy | undefined {
  const policy = value.toLowerCase();
  return COMMAND_FILE_RETENTION_POLICIES.find((known) => known === policy);
}

export const SCHEMA = {
  server: {
    hostname: str('localhost'),
    url_port: port(8440),
    secured_url_port: port(8441),
    connect_retry_delay: int(10),
    max_reconnect_retry_delay: int(30),
    /** This agent's: seconds from a lost connection to the next attempt (the original's fixed HEARTBEAT_INTERVAL, 10). */
    reconnect_delay: int(10),
  },
  agent: {
    logdir: str('/var/log/ambari-agent'),
    piddir: str('/var/run/ambari-agent'),
    prefix: str('/var/lib/ambari-agent/data'),
    loglevel: str('INFO'),
    data_cleanup_interval: int(86400),
    data_cleanup_max_age: int(2592000),
    data_cleanup_max_size_MB: int(100),
    ping_port: port(8670),
    cache_dir: str('/var/lib/ambari-agent/cache'),
    // The scripts' TMPDIR argument: ambari_commons.constants.AGENT_TMP_DIR in the original
    // (a constant there; a key here so that a home holds it).
    tmp_dir: str('/var/lib/ambari-agent/tmp'),
    tolerate_download_failures: bool(true),
    run_as_user: str('root'),
    parallel_execution: int(0),
    command_update_output: int(1),
    alert_reports_interval: int(5),
    command_reports_interval: int(5),
    status_commands_run_interval: int(20),
    alert_grace_period: int(5),
    status_command_timeout: int(5),
    send_alert_changes_only: int(0),
    alert_kinit_timeout: int(14400000),
    system_resource_overrides: str('/etc/resource_overrides'),
    hostname_script: optStr(),
    public_hostname_script: optStr(),
    ulimit_open_files: optInt(),
    memory_threshold_soft_mb: optInt(),
    memory_threshold_hard_mb: optInt(),
    ignore_mount_points: list([]),
    command_file_retention_policy: str('keep'),
    // This agent's own (see README "Seeing inside"): not in the original's ini.
    inspect: int(0),
    inspect_port: port(0),
    // Seconds an alert definition's interval unit stands for (a minute, as the original).
    alert_interval_unit_seconds: int(60),
    status_page_port: optPort(),
    // Largest command-report frame sent (UTF-8 bytes of the whole STOMP frame): the Python
    // agent's CommandStatusDict.MAX_REPORT_SIZE constant, under the server's
    // stomp.max_incoming.message.size (2 MiB). Not in the original's ini.
    max_report_frame_bytes: int(1950000),
  },
  security: {
    keysdir: str('/var/lib/ambari-agent/keys'),
    server_crt: str('ca.crt'),
    passphrase_env_var_name: str('AMBARI_PASSPHRASE'),
    ssl_verify_cert: int(0),
    credential_lib_dir: optStr(),
    credential_conf_dir: optStr(),
    credential_shell_cmd: optStr(),
    // Passed to every script (AmbariConfig.get_force_https_protocol_name, get_ca_cert_file_path).
    force_https_protocol: str('PROTOCOL_TLSv1_2'),
    ca_cert_path: str(''),
  },
  network: {
    use_system_proxy_settings: bool(true),
  },
  services: {
    pidLookupPath: str('/var/run/'),
  },
  heartbeat: {
    state_interval_seconds: int(60),
    dirs: list([]),
    log_max_symbols_size: int(900000),
    idle_interval_min: int(1),
    idle_interval_max: int(10),
  },
  logging: {
    syslog_enabled: int(0),
    // Present (any value): scripts get a trailing -o (CustomServiceOrchestrator script_params).
    log_out_files: optStr(),
    log_command_executes: int(0),
  },
} as const;

type Schema = typeof SCHEMA;
type ValueOf<S> = S extends KeySpec<KeyKind, infer D> ? D : never;

/** The whole ini as one typed object: `config.agent.ping_port` is a number, and so on. */
export type AgentIni = {
  -readonly [Section in keyof Schema]: { -readonly [Key in keyof Schema[Section]]: ValueOf<Schema[Section][Key]> };
};

export type SectionName = keyof Schema;
