import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../support/tempDirs.mjs';
import { parseEnvList, resolvePassphrase, sourceEnvFile } from '../../../src/config/envFile.js';
import { ConfigError } from '../../../src/config/errors.js';
import { parseIniText } from '../../../src/config/iniFile.js';
import { configFromText, iniPathFor, loadConfig } from '../../../src/config/loadConfig.js';
import { agentPaths, checkControlDirs, virtualFileSystemOf } from '../../../src/config/paths.js';
import { renderIni } from '../../../src/config/template.js';
import { setServerHostname } from '../../../src/cli/commands/reset.js';

const FILE = '/etc/ambari-agent/conf/ambari-agent.ini';

afterAll(removeTempDirs);

describe('ini parsing', () => {
  it('reads sections, both assignment forms, comments and continuation lines', () => {
    const raw = parseIniText(
      [
        '# comment',
        '[server]',
        'hostname = ambari.example.com',
        'url_port: 8440',
        '; another comment',
        '[heartbeat]',
        'dirs=/etc/hadoop,/etc/hadoop/conf,',
        '  /var/run/hadoop,',
        '  /var/log/hadoop',
        '[agent]',
        'hostname_script=/usr/local/bin/name#1;2',
      ].join('\n'),
      FILE,
    );
    expect(raw.server).toEqual({ hostname: 'ambari.example.com', url_port: '8440' });
    expect(raw.heartbeat!.dirs).toBe('/etc/hadoop,/etc/hadoop/conf,/var/run/hadoop,/var/log/hadoop');
    expect(raw.agent!.hostname_script).toBe('/usr/local/bin/name#1;2');
  });

  it.each([
    ['[server', 'line 1: malformed section header'],
    ['[server]\njust words', "line 2: cannot parse 'just words'"],
    ['hostname=x', "line 1: key 'hostname' appears before any [section] header"],
    ['  indented', 'line 1: indented text'],
  ])('rejects %j with a message naming file and line', (text, message) => {
    expect(() => parseIniText(text, FILE)).toThrow(ConfigError);
    expect(() => parseIniText(text, FILE)).toThrow(`${FILE} ${message}`);
  });
});

describe('typed config', () => {
  it('fills every default from the reference', () => {
    const { ini, warnings } = configFromText(undefined, FILE);
    expect(warnings).toEqual([`No config found at ${FILE}, use default`]);
    expect(ini.server).toEqual({ hostname: 'localhost', url_port: 8440, secured_url_port: 8441, connect_retry_delay: 10, max_reconnect_retry_delay: 30, reconnect_delay: 10 });
    expect(ini.agent).toMatchObject({
      logdir: '/var/log/ambari-agent', piddir: '/var/run/ambari-agent', prefix: '/var/lib/ambari-agent/data', loglevel: 'INFO',
      data_cleanup_interval: 86400, data_cleanup_max_age: 2592000, data_cleanup_max_size_MB: 100, ping_port: 8670,
      tolerate_download_failures: true, parallel_execution: 0, command_reports_interval: 5, status_commands_run_interval: 20,
      hostname_script: undefined, ignore_mount_points: [], tmp_dir: '/var/lib/ambari-agent/tmp',
    });
    expect(ini.security).toMatchObject({ keysdir: '/var/lib/ambari-agent/keys', server_crt: 'ca.crt', passphrase_env_var_name: 'AMBARI_PASSPHRASE', ssl_verify_cert: 0, force_https_protocol: 'PROTOCOL_TLSv1_2', ca_cert_path: '' });
    expect(ini.logging).toEqual({ syslog_enabled: 0, log_out_files: undefined, log_command_executes: 0 });
    expect(ini.heartbeat).toEqual({ state_interval_seconds: 60, dirs: [], log_max_symbols_size: 900000, idle_interval_min: 1, idle_interval_max: 10 });
  });

  it('types values and is case-insensitive for key names', () => {
    const { ini } = configFromText('[agent]\nPING_PORT=9000\ntolerate_download_failures=no\n[heartbeat]\ndirs=/a, /b\n[Server]\nhostname=h', FILE);
    expect(ini.agent.ping_port).toBe(9000);
    expect(ini.agent.tolerate_download_failures).toBe(false);
    expect(ini.heartbeat.dirs).toEqual(['/a', '/b']);
    expect(ini.server.hostname).toBe('h');
  });

  it.each([
    ['[server]\nurl_port=abc', `${FILE}: [server] url_port = 'abc' is not a valid port number (0-65535)`],
    ['[agent]\nping_port=70000', `${FILE}: [agent] ping_port = '70000' is not a valid port number (0-65535)`],
    ['[server]\nconnect_retry_delay=ten', `${FILE}: [server] connect_retry_delay = 'ten' is not a whole number`],
    ['[network]\nuse_system_proxy_settings=maybe', `${FILE}: [network] use_system_proxy_settings = 'maybe' is not a boolean`],
  ])('a wrong type names file, section and key: %j', (text, message) => {
    expect(() => configFromText(text, FILE)).toThrow(message);
  });

  it.each([
    ['[server]\nconnect_retry_delay=0', `${FILE}: [server] connect_retry_delay = '0' is below 1 (seconds between connection attempts)`],
    ['[server]\nconnect_retry_delay=-5', `${FILE}: [server] connect_retry_delay = '-5' is below 1`],
    ['[server]\nmax_reconnect_retry_delay=0', `${FILE}: [server] max_reconnect_retry_delay = '0' is below 1`],
    ['[server]\nreconnect_delay=0', `${FILE}: [server] reconnect_delay = '0' is below 1`],
    ['[agent]\ndata_cleanup_max_size_MB=-1', `${FILE}: [agent] data_cleanup_max_size_MB = '-1' is below 0 (megabytes of command files kept)`],
    ['[agent]\ndata_cleanup_interval=-3600', `${FILE}: [agent] data_cleanup_interval = '-3600' is below 0`],
    ['[server]\nhostname= , ', `${FILE}: [server] hostname = ',' names no server (a comma list of Ambari server hosts)`],
    // A timer longer than Node.js holds fires at once: as busy as 0.
    ['[server]\nconnect_retry_delay=2147484', `${FILE}: [server] connect_retry_delay = '2147484' is above 2147483 (seconds; the longest timer Node.js holds, about 24.8 days)`],
    ['[agent]\ndata_cleanup_interval=9999999', `${FILE}: [agent] data_cleanup_interval = '9999999' is above 2147483`],
    ['[heartbeat]\nstate_interval_seconds=9999999', `${FILE}: [heartbeat] state_interval_seconds = '9999999' is above 2147483`],
    ['[server]\nconnect_retry_delay=99999999999999999999', `${FILE}: [server] connect_retry_delay = '99999999999999999999' is not a whole number within ±9007199254740991`],
  ])('a value that would busy-loop or delete everything is refused, naming file, key and value: %j', (text, message) => {
    expect(() => configFromText(text, FILE)).toThrow(message);
  });

  it('takes the longest timer Node.js holds', () => {
    expect(configFromText('[server]\nconnect_retry_delay=2147483', FILE).ini.server.connect_retry_delay).toBe(2147483);
  });

  it("applies the DataCleaner clamps with a warning each", () => {
    const { ini, warnings } = configFromText('[agent]\ndata_cleanup_max_age=10\ndata_cleanup_interval=60\ndata_cleanup_max_size_MB=99999', FILE);
    expect(ini.agent.data_cleanup_max_age).toBe(86400);
    expect(ini.agent.data_cleanup_interval).toBe(3600);
    expect(ini.agent.data_cleanup_max_size_MB).toBe(10000);
    expect(warnings).toHaveLength(3);
    // 0 disables the cleaner and is left alone.
    expect(configFromText('[agent]\ndata_cleanup_interval=0', FILE).ini.agent.data_cleanup_interval).toBe(0);
  });

  it('takes command_file_retention_policy in any case, and an unknown one as keep with a warning (AmbariConfig)', () => {
    expect(configFromText(undefined, FILE).ini.agent.command_file_retention_policy).toBe('keep');
    expect(configFromText('[agent]\ncommand_file_retention_policy=Remove_On_Success', FILE).ini.agent.command_file_retention_policy).toBe('remove_on_success');
    const { ini, warnings } = configFromText('[agent]\ncommand_file_retention_policy=shred', FILE);
    expect(ini.agent.command_file_retention_policy).toBe('keep');
    expect(warnings).toEqual([`The configured command_file_retention_policy 'shred' is invalid (keep, remove or remove_on_success); using keep`]);
    expect(configFromText('[logging]\nlog_command_executes=1', FILE).ini.logging.log_command_executes).toBe(1);
  });

  it('resolves relative paths against the home dir and finds the ini under it', () => {
    const home = tempDir('aa-cfg-');
    mkdirSync(join(home, 'etc/ambari-agent/conf'), { recursive: true });
    writeFileSync(iniPathFor(home), '[agent]\nlogdir=logs\npiddir=/abs/run\n');
    const { ini, file } = loadConfig(home);
    expect(file).toBe(join(home, 'etc/ambari-agent/conf/ambari-agent.ini'));
    expect(ini.agent.logdir).toBe(join(home, 'logs'));
    expect(ini.agent.piddir).toBe('/abs/run');
    expect(iniPathFor('')).toBe('/etc/ambari-agent/conf/ambari-agent.ini');
  });

  it('refuses / as pid, log or keys dir, and derives the file paths', () => {
    const { ini } = configFromText('[agent]\npiddir=/\n', FILE);
    expect(() => checkControlDirs(ini)).toThrow('path / not valid');
    expect(() => checkControlDirs(configFromText('[agent]\nprefix=/\n', FILE).ini)).toThrow("[agent] prefix = '/' is the root directory; give the agent a directory of its own");
    expect(() => checkControlDirs(configFromText('[agent]\ncache_dir=/tmp/..\n', FILE).ini)).toThrow("[agent] cache_dir = '/tmp/..' is the root directory");
    // Through a symlink too: the data cleaner would follow it.
    const link = join(tempDir('aa-root-'), 'root');
    symlinkSync('/', link);
    expect(() => checkControlDirs(configFromText(`[agent]\nprefix=${link}\n`, FILE).ini)).toThrow(`[agent] prefix = '${link}' is the root directory`);
    // The control script's readlink -m: the pid, log and keys dirs through a symlink too.
    expect(() => checkControlDirs(configFromText(`[security]\nkeysdir=${link}\n`, FILE).ini)).toThrow(`path ${link} not valid: [security] keysdir is the root directory`);
    expect(virtualFileSystemOf('/proc/self/x')).toBe('/proc');
    expect(virtualFileSystemOf('/sys')).toBe('/sys');
    expect(virtualFileSystemOf('/procfs/x')).toBeUndefined();
    const paths = agentPaths(configFromText(undefined, FILE).ini);
    expect(paths).toMatchObject({
      pidFile: '/var/run/ambari-agent/ambari-agent.pid',
      outFile: '/var/log/ambari-agent/ambari-agent.out',
      logFile: '/var/log/ambari-agent/ambari-agent.log',
    });
  });

  it('keeps the control socket and the restart record in the pid dir, however deep (never in the shared temp dir)', () => {
    const deep = `/tmp/${'x'.repeat(120)}`;
    const { ini } = configFromText(`[agent]\npiddir=${deep}\n`, FILE);
    expect(agentPaths(ini)).toMatchObject({ controlSocket: `${deep}/ambari-agent.sock`, restartFile: `${deep}/ambari-agent.restart` });
  });
});

describe('init template', () => {
  it('renders an ini that parses back with every path under the home', () => {
    const text = renderIni({ home: '/h', servers: ['a', 'b'], urlPort: 1, pingPort: 5555, overrides: { 'server.connect_retry_delay': '2' } });
    const { ini, warnings } = configFromText(text, '/h/x.ini', '/h');
    expect(warnings).toEqual([]);
    expect(ini.server).toMatchObject({ hostname: 'a,b', url_port: 1, connect_retry_delay: 2 });
    expect(ini.agent.ping_port).toBe(5555);
    expect(ini.agent.tmp_dir).toBe('/h/var/lib/ambari-agent/tmp');
    for (const dir of [ini.agent.logdir, ini.agent.piddir, ini.agent.prefix, ini.agent.cache_dir, ini.agent.tmp_dir, ini.security.keysdir]) {
      expect(dir.startsWith('/h/')).toBe(true);
    }
  });
});

describe('ambari-env.sh', () => {
  const envFile = (text: string): string => {
    const file = join(tempDir('aa-envfile-'), 'ambari-env.sh');
    writeFileSync(file, text);
    return file;
  };

  it('is sourced by /bin/sh: variables expand, exports reach the result, the base stays otherwise', () => {
    const file = envFile('# c\nexport FOO=$HOME/x\nexport PYTHONPATH=/opt/lib:$PYTHONPATH\nif true; then export B="x y"; fi\necho chatter\nunset GONE\n');
    const env = sourceEnvFile(file, { PATH: process.env.PATH, HOME: '/home/op', PYTHONPATH: '/old', GONE: '1', KEPT: 'k' });
    expect(env).toMatchObject({ FOO: '/home/op/x', PYTHONPATH: '/opt/lib:/old', B: 'x y', KEPT: 'k', HOME: '/home/op' });
    expect(env.GONE).toBeUndefined();
    // The file sees no positional parameters of ours.
    expect(sourceEnvFile(envFile('export N=$#\n'), { PATH: process.env.PATH }).N).toBe('0');
  });

  it('reads back values with newlines and "=", and a PATH the file changed (env -0 by its absolute path)', () => {
    const env = sourceEnvFile(envFile('export MULTI="one\ntwo=2"\nexport EMPTY=\nPATH=/nowhere\n'), { PATH: process.env.PATH });
    expect(env).toMatchObject({ MULTI: 'one\ntwo=2', EMPTY: '', PATH: '/nowhere' });
    expect(env.__aa_export).toBeUndefined();
    expect(parseEnvList('A=1\0B=x=y\0C=\0D=two\nlines\0')).toEqual({ A: '1', B: 'x=y', C: '', D: 'two\nlines' });
  });

  it('a missing file leaves the base as it is', () => {
    expect(sourceEnvFile('/nonexistent/ambari-env.sh', { A: '1' })).toEqual({ A: '1' });
  });

  it('a failing file is a one-line ConfigError naming the file and what the shell said', () => {
    const broken = envFile('export A=1\nno_such_command_here\nfalse\n');
    let error: unknown;
    try {
      sourceEnvFile(broken, { PATH: process.env.PATH });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(broken);
    expect(message).toContain('exit code 1');
    expect(message).toContain('no_such_command_here');
    expect(message).not.toContain('\n');

    expect(() => sourceEnvFile(envFile('exit 0\n'), { PATH: process.env.PATH })).toThrow(/does it call exit/);
    const spinning = envFile('while :; do :; done\n');
    expect(() => sourceEnvFile(spinning, { PATH: process.env.PATH }, 300)).toThrow(`${spinning} did not finish within 0.3 s`);
  });

  it('resolves the passphrase as the control script: the caller first, then the file, else DEV', () => {
    expect(resolvePassphrase('AMBARI_PASSPHRASE', { AMBARI_PASSPHRASE: 'caller' }, { AMBARI_PASSPHRASE: 'file' })).toBe('caller');
    expect(resolvePassphrase('AMBARI_PASSPHRASE', { AMBARI_PASSPHRASE: '' }, { AMBARI_PASSPHRASE: 'file' })).toBe('file');
    expect(resolvePassphrase('AMBARI_PASSPHRASE', {}, {})).toBe('DEV');
  });

  it("reads the named variables the file sets without exporting them (the stock file's AMBARI_PASSPHRASE=\"DEV\")", () => {
    const dir = tempDir('aa-envfile-');
    const file = join(dir, 'ambari-env.sh');
    writeFileSync(file, 'AMBARI_PASSPHRASE="s3cret"\nLOCAL_ONLY=1\n');
    const env = sourceEnvFile(file, { PATH: process.env.PATH }, undefined, ['AMBARI_PASSPHRASE', 'bad;name']);
    expect(env.AMBARI_PASSPHRASE).toBe('s3cret');
    expect(env.LOCAL_ONLY).toBeUndefined();
    expect(env.__aa_export).toBeUndefined();
    expect(sourceEnvFile(file, { PATH: process.env.PATH }).AMBARI_PASSPHRASE).toBeUndefined();
  });
});

describe('reset: [server] hostname rewrite', () => {
  it('replaces the value and keeps every other line', () => {
    const before = '# keep me\n[server]\nhostname=old1,\n  old2\nurl_port=8440\n[agent]\nhostname_script=/x\n';
    const { text, previous } = setServerHostname(before, 'new');
    expect(previous).toBe('old1,old2');
    expect(text).toBe('# keep me\n[server]\nhostname=new\nurl_port=8440\n[agent]\nhostname_script=/x\n');
  });

  it('adds the key or the section when missing', () => {
    expect(setServerHostname('[server]\nurl_port=1\n', 'h').text).toBe('[server]\nhostname=h\nurl_port=1\n');
    expect(setServerHostname('[agent]\n', 'h').text).toBe('[server]\nhostname=h\n\n[agent]\n');
  });
});
