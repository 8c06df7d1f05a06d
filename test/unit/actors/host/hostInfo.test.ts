import { fixtureText } from '../../../support/fixtures.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  agentEnv,
  dfFigures,
  hardwareProfile,
  isCandidateMount,
  isHadoopCommand,
  isMountBlacklisted,
  isReportedJavaCommand,
  kbToGb,
  kernelVersions,
  osFamilyOf,
  parseMeminfo,
  parseMounts,
  parseNetDevInterfaces,
  parseOsRelease,
  parsePasswd,
  parsePhysicalProcessorCount,
  parseStatusUid,
  parseStatusUmask,
  parseSwaps,
  parseTransparentHugePage,
  parseUptimeSeconds,
  posixTzAbbreviation,
  tzifFooter,
  uptimeFields,
} from '../../../../src/actors/host/hostInfo/index.js';

const fixture = JSON.parse(
  fixtureText('registration_request.json'),
) as { hardwareProfile: Record<string, unknown>; agentEnv: Record<string, unknown> };

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Same keys and JSON types as `expected`, recursively (array elements when both have some). */
function expectSameShape(actual: unknown, expected: unknown, path: string): void {
  expect(jsonType(actual), path).toBe(jsonType(expected));
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length > 0 && expected.length > 0) {
      for (const [i, item] of actual.entries()) expectSameShape(item, expected[0], `${path}[${i}]`);
    }
    return;
  }
  if (jsonType(actual) === 'object') {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(e).sort());
    for (const key of Object.keys(e)) expectSameShape(a[key], e[key], `${path}.${key}`);
  }
}

function currentUmask(): number {
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const match = /^Umask:\s*([0-7]+)/m.exec(status);
  return match ? parseInt(match[1], 8) : process.umask();
}

describe('hardwareProfile on this host', () => {
  it('has exactly the fixture keys with the same JSON types, and survives a JSON round trip', async () => {
    const profile = await hardwareProfile({ hostname: 'agent1.example.com' });
    expectSameShape(profile, fixture.hardwareProfile, 'hardwareProfile');
    expect(JSON.parse(JSON.stringify(profile))).toEqual(profile);
  });

  it('splits the given name into hostname, domain and fqdn', async () => {
    const long = await hardwareProfile({ hostname: 'c7401.ambari.apache.org' });
    expect(long).toMatchObject({ hostname: 'c7401', domain: 'ambari.apache.org', fqdn: 'c7401.ambari.apache.org' });
    const short = await hardwareProfile({ hostname: 'gc6401' });
    expect(short).toMatchObject({ hostname: 'gc6401', domain: '', fqdn: 'gc6401' });
  });

  it('reports plausible values read from this host, within a second', async () => {
    const started = Date.now();
    const p = await hardwareProfile({ hostname: 'agent1.example.com' });
    expect(Date.now() - started).toBeLessThan(1000);

    expect(p.memorytotal).toBeGreaterThan(0);
    expect(p.memorysize).toBe(p.memorytotal);
    expect(p.memoryfree).toBeGreaterThanOrEqual(0);
    expect(p.memoryfree).toBeLessThanOrEqual(p.memorytotal);
    expect(p.swapsize).toMatch(/^\d+\.\d\d GB$/);
    expect(p.swapfree).toMatch(/^\d+\.\d\d GB$/);

    expect(p.processorcount).toBe(os.cpus().length || os.availableParallelism());
    expect(p.physicalprocessorcount).toBeGreaterThanOrEqual(1);
    expect(p.physicalprocessorcount).toBeLessThanOrEqual(p.processorcount);

    const seconds = Number(p.uptime_seconds);
    expect(Number.isInteger(seconds)).toBe(true);
    expect(Math.abs(seconds - os.uptime())).toBeLessThanOrEqual(5);
    expect(p.uptime_hours).toBe(String(Math.floor(seconds / 3600)));
    expect(p.uptime_days).toBe(String(Math.floor(seconds / 86400)));

    expect(p.kernel).toBe(os.type());
    expect(p.kernelrelease).toBe(os.release());
    expect(p.kernelrelease.startsWith(p.kernelversion)).toBe(true);
    expect(p.kernelversion.startsWith(p.kernelmajversion)).toBe(true);
    expect(p.architecture).toBe(os.machine());
    expect(p.hardwareisa).toBe(p.architecture);
    expect(p.hardwaremodel).toBe(p.architecture);
    expect(p.id).toBe(os.userInfo().username);
    expect(p.timezone).not.toBe('');

    expect(p.ipaddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(p.netmask).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(p.macaddress).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/);
    expect(p.interfaces.split(',')).toEqual(expect.arrayContaining(Object.keys(os.networkInterfaces())));

    if (existsSync('/etc/os-release')) {
      const release = parseOsRelease(readFileSync('/etc/os-release', 'utf8'));
      expect(p.operatingsystem).toBe(release.ID);
      expect(p.operatingsystemrelease).toBe(release.VERSION_ID ?? '');
      expect(p.osfamily).toBe(osFamilyOf(release.ID ?? '', release.ID_LIKE));
    }
    const selinux = existsSync('/sys/fs/selinux/enforce') && readFileSync('/sys/fs/selinux/enforce', 'utf8').trim() === '1';
    expect(p.selinux).toBe(selinux);

    for (const mount of p.mounts) {
      expect(mount.size).toMatch(/^\d+$/);
      expect(mount.used).toMatch(/^\d+$/);
      expect(mount.available).toMatch(/^\d+$/);
      expect(mount.percent).toMatch(/^(\d+%|-)$/);
      expect(mount.mountpoint.startsWith('/')).toBe(true);
      expect(['proc', 'sysfs', 'tmpfs', 'devtmpfs', 'cgroup', 'cgroup2']).not.toContain(mount.type);
    }
    expect(new Set(p.mounts.map((m) => m.mountpoint)).size).toBe(p.mounts.length);
  });

  it('leaves out ignored mount points and everything beneath them', async () => {
    const all = (await hardwareProfile({ hostname: 'h' })).mounts.map((m) => m.mountpoint);
    const withoutRoot = (await hardwareProfile({ hostname: 'h', ignoreMountPoints: ['/'] })).mounts.map((m) => m.mountpoint);
    expect(withoutRoot).toEqual(all.filter((m) => m !== '/'));
    const last = all[all.length - 1];
    if (last !== undefined) {
      const fewer = (await hardwareProfile({ hostname: 'h', ignoreMountPoints: [' ', last] })).mounts.map((m) => m.mountpoint);
      expect(fewer).toEqual(all.filter((m) => m !== last && !m.startsWith(`${last}/`)));
    }
  });
});

describe('agentEnv on this host', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('has exactly the fixture keys with the same JSON types', async () => {
    const env = await agentEnv({ now: () => 1491211169096 });
    expectSameShape(env, fixture.agentEnv, 'agentEnv');
    expect(JSON.parse(JSON.stringify(env))).toEqual(env);
  });

  it('reports this process umask in decimal, the THP setting and the placeholders', async () => {
    const started = Date.now();
    const env = await agentEnv({ now: () => 42 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(env.hostHealth.agentTimeStampAtReporting).toBe(42);
    expect(env.umask).toBe(String(currentUmask()));
    const thpFile = '/sys/kernel/mm/transparent_hugepage/enabled';
    expect(env.transparentHugePage).toBe(existsSync(thpFile) ? parseTransparentHugePage(readFileSync(thpFile, 'utf8')) : '');
    expect(env.alternatives).toEqual([]);
    expect(env.stackFoldersAndFiles).toEqual([]);
    expect(env.existingUsers).toEqual([]);
    expect(env.hasUnlimitedJcePolicy).toBeNull();
    expect(['iptables', 'ufw', 'firewalld']).toContain(env.firewallName);
    expect(env.hostHealth.liveServices).toHaveLength(1);
    expect(env.hostHealth.liveServices[0].name).toBe('ntpd or chronyd');
    expect(['Healthy', 'Unhealthy']).toContain(env.hostHealth.liveServices[0].status);
    expect(typeof env.reverseLookup).toBe('boolean');
  });

  it('defaults the timestamp to the clock', async () => {
    const before = Date.now();
    const env = await agentEnv({});
    expect(env.hostHealth.agentTimeStampAtReporting).toBeGreaterThanOrEqual(before);
    expect(env.hostHealth.agentTimeStampAtReporting).toBeLessThanOrEqual(Date.now());
  });

  it.skipIf(!existsSync('/proc/self/cmdline'))('lists a running process whose command line mentions java', async () => {
    child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)', 'fake-java-hadoop-marker'], { stdio: 'ignore' });
    await new Promise((resolve) => child!.once('spawn', resolve));
    const env = await agentEnv({});
    const proc = env.hostHealth.activeJavaProcs.find((p) => p.pid === child!.pid);
    expect(proc).toBeDefined();
    expect(proc).toMatchObject({ hadoop: true, user: os.userInfo().username });
    expect(String(proc!.command)).toContain('fake-java-hadoop-marker');
  });
});

describe('without /proc, /sys and /etc (a bare sandbox)', () => {
  afterEach(() => {
    vi.doUnmock('node:fs/promises');
    vi.resetModules();
  });

  it('still answers both objects with fallbacks instead of throwing', async () => {
    const missing = async (path: unknown) => {
      throw Object.assign(new Error(`ENOENT: ${String(path)}`), { code: 'ENOENT' });
    };
    vi.resetModules();
    vi.doMock('node:fs/promises', () => ({ readFile: missing, readdir: missing, stat: missing, statfs: missing }));
    const bare = await import('../../../../src/actors/host/hostInfo/index.js');
    const profile = await bare.hardwareProfile({ hostname: 'bare.example.com' });
    expectSameShape(profile, fixture.hardwareProfile, 'hardwareProfile');
    expect(profile.mounts).toEqual([]);
    expect(profile.memorytotal).toBe(Math.floor(os.totalmem() / 1024));
    expect(profile.swapsize).toBe('0.00 GB');
    expect(profile.physicalprocessorcount).toBe(1);
    expect(profile.operatingsystem).toBe(os.platform());
    expect(profile.selinux).toBe(false);
    const env = await bare.agentEnv({ now: () => 7 });
    expectSameShape(env, fixture.agentEnv, 'agentEnv');
    expect(env.transparentHugePage).toBe('');
    expect(env.hostHealth.activeJavaProcs).toEqual([]);
    expect(env.hostHealth.liveServices[0]).toMatchObject({ status: 'Unhealthy', name: 'ntpd or chronyd' });
    expect(env.umask).toBe(String(process.umask()));
    expect(env.firewallRunning).toBe(false);
  });
});

describe('parsers on canned text', () => {
  it('parseMeminfo reads kB figures', () => {
    const info = parseMeminfo('MemTotal:        3664596 kB\nMemFree:         1588136 kB\nSwapTotal:             0 kB\nHugePages_Total:       0\n');
    expect(info).toEqual({ MemTotal: 3664596, MemFree: 1588136, SwapTotal: 0, HugePages_Total: 0 });
    expect(parseMeminfo('')).toEqual({});
  });

  it('parseSwaps sums the swap areas', () => {
    const text = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/sda2                               partition\t2097148\t\t1024\t\t-2\n/swapfile file 1048576 0 -3\n';
    expect(parseSwaps(text)).toEqual({ size: 3145724, used: 1024 });
    expect(parseSwaps('Filename\tType\tSize\tUsed\tPriority\n')).toEqual({ size: 0, used: 0 });
  });

  it('parseUptimeSeconds and uptimeFields use whole units', () => {
    expect(parseUptimeSeconds('256.73 1000.00\n')).toBe(256);
    expect(parseUptimeSeconds('garbage')).toBeUndefined();
    expect(uptimeFields(256)).toEqual({ uptime_seconds: '256', uptime_hours: '0', uptime_days: '0' });
    expect(uptimeFields(90061.9)).toEqual({ uptime_seconds: '90061', uptime_hours: '25', uptime_days: '1' });
  });

  it('parsePhysicalProcessorCount counts distinct physical ids, at least 1', () => {
    const cpu = (n: number, phys: number) => `processor\t: ${n}\nmodel name\t: X\nphysical id\t: ${phys}\ncore id\t\t: ${n}\n\n`;
    expect(parsePhysicalProcessorCount(cpu(0, 0) + cpu(1, 0) + cpu(2, 1) + cpu(3, 1))).toBe(2);
    expect(parsePhysicalProcessorCount('processor\t: 0\nmodel name\t: ARMv8\n')).toBe(1);
    expect(parsePhysicalProcessorCount('')).toBe(1);
  });

  it('parseOsRelease unquotes values and skips comments', () => {
    const text = '# comment\nNAME="CentOS Linux"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME=\'CentOS 7\'\nQUOTED="a \\"b\\""\n\n';
    expect(parseOsRelease(text)).toEqual({
      NAME: 'CentOS Linux',
      ID: 'centos',
      ID_LIKE: 'rhel fedora',
      VERSION_ID: '7',
      PRETTY_NAME: 'CentOS 7',
      QUOTED: 'a "b"',
    });
    expect(parseOsRelease('ID=debian\nVERSION_ID="12"\n')).toEqual({ ID: 'debian', VERSION_ID: '12' });
  });

  it('osFamilyOf maps distributions to the original families', () => {
    expect(osFamilyOf('centos', 'rhel fedora')).toBe('redhat');
    expect(osFamilyOf('rhel', 'fedora')).toBe('redhat');
    expect(osFamilyOf('rocky', 'rhel centos fedora')).toBe('redhat');
    expect(osFamilyOf('ol', 'fedora')).toBe('redhat');
    expect(osFamilyOf('amzn', 'centos rhel fedora')).toBe('amazonlinux');
    expect(osFamilyOf('debian')).toBe('debian');
    expect(osFamilyOf('ubuntu', 'debian')).toBe('ubuntu');
    expect(osFamilyOf('linuxmint', 'ubuntu debian')).toBe('ubuntu');
    expect(osFamilyOf('sles')).toBe('suse');
    expect(osFamilyOf('opensuse-leap', 'suse opensuse')).toBe('suse');
    expect(osFamilyOf('someos', 'unknownlike')).toBe('someos');
  });

  it('parseMounts decodes octal escapes and splits options', () => {
    const text = '/dev/sda1 / ext4 rw,relatime 0 0\n/dev/sdb1 /mnt/my\\040disk xfs ro,noatime 0 0\nproc /proc proc rw 0 0\n';
    expect(parseMounts(text)).toEqual([
      { device: '/dev/sda1', mountpoint: '/', type: 'ext4', options: ['rw', 'relatime'] },
      { device: '/dev/sdb1', mountpoint: '/mnt/my disk', type: 'xfs', options: ['ro', 'noatime'] },
      { device: 'proc', mountpoint: '/proc', type: 'proc', options: ['rw'] },
    ]);
  });

  it('isCandidateMount keeps real writable file systems only', () => {
    const mounts = parseMounts(
      [
        '/dev/sda1 / ext4 rw,relatime 0 0',
        'overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0',
        'proc /proc proc rw 0 0',
        'sysfs /sys sysfs rw 0 0',
        'tmpfs /run tmpfs rw 0 0',
        'udev /dev devtmpfs rw 0 0',
        'cgroup2 /sys/fs/cgroup cgroup2 rw 0 0',
        'shm /dev/shm tmpfs rw 0 0',
        '/dev/loop0 /snap/core/1 squashfs ro 0 0',
        '/dev/sdb1 /data xfs rw 0 0',
        'server:/export /nfs nfs4 rw 0 0',
      ].join('\n'),
    );
    const kept = mounts.filter((m) => isCandidateMount(m, ['/data'])).map((m) => m.mountpoint);
    expect(kept).toEqual(['/', '/var/lib/docker/overlay2/x/merged', '/nfs']);
  });

  it('isMountBlacklisted matches whole path components, like the original', () => {
    expect(isMountBlacklisted(['/mnt/my_mount'], '/mnt/my_mount')).toBe(true);
    expect(isMountBlacklisted(['/mnt/my_mount'], '/mnt/my_mount/sub_mount')).toBe(true);
    expect(isMountBlacklisted(['/mnt/my_mount'], '/mnt/my_mount2')).toBe(false);
    expect(isMountBlacklisted(['/mnt/my_mount'], '/')).toBe(false);
    expect(isMountBlacklisted(['/mnt/my_mount/'], '/mnt/my_mount')).toBe(true);
    expect(isMountBlacklisted(['/'], '/')).toBe(true);
    expect(isMountBlacklisted(['/'], '/data')).toBe(false);
    expect(isMountBlacklisted([], '/')).toBe(false);
    expect(isMountBlacklisted([' ', ''], '/')).toBe(false);
  });

  it('dfFigures reproduces df -kP (the fixture row)', () => {
    // 4 KiB blocks: 10189112 kB size, 2589424 kB used, 7075452 kB available → 27%.
    expect(dfFigures({ blocks: 2547278, bfree: 2547278 - 647356, bavail: 1768863, bsize: 4096 })).toEqual({
      size: '10189112',
      used: '2589424',
      available: '7075452',
      percent: '27%',
    });
    expect(dfFigures({ blocks: 10, bfree: 10, bavail: 10, bsize: 1024 }).percent).toBe('0%');
    expect(dfFigures({ blocks: 10, bfree: 0, bavail: 0, bsize: 512 })).toEqual({ size: '5', used: '5', available: '0', percent: '100%' });
    expect(dfFigures({ blocks: 0, bfree: 0, bavail: 0, bsize: 4096 }).percent).toBe('-');
  });

  it('kbToGb formats like "%0.2f GB"', () => {
    expect(kbToGb(0)).toBe('0.00 GB');
    expect(kbToGb(2097148)).toBe('2.00 GB');
    expect(kbToGb(1572864)).toBe('1.50 GB');
    expect(kbToGb(24684084)).toBe('23.54 GB');
  });

  it('kernelVersions takes the first three and two numeric parts', () => {
    expect(kernelVersions('2.6.32-642.15.1.el6.x86_64')).toEqual({ kernelversion: '2.6.32', kernelmajversion: '2.6' });
    expect(kernelVersions('6.1.0-18-amd64')).toEqual({ kernelversion: '6.1.0', kernelmajversion: '6.1' });
    expect(kernelVersions('4.19.112+')).toEqual({ kernelversion: '4.19.112', kernelmajversion: '4.19' });
    expect(kernelVersions('5.4')).toEqual({ kernelversion: '5.4', kernelmajversion: '5.4' });
  });

  it('parseNetDevInterfaces lists interfaces in file order', () => {
    const text =
      'Inter-|   Receive                            |  Transmit\n' +
      ' face |bytes    packets errs drop fifo frame|bytes    packets\n' +
      '    lo:  773574    7487    0    0    0     0   773574    7487\n' +
      '  eth0:232879816   6721    0    0    0     0   460284    3957\n';
    expect(parseNetDevInterfaces(text)).toEqual(['lo', 'eth0']);
    expect(parseNetDevInterfaces('')).toEqual([]);
  });

  it('parseTransparentHugePage takes the bracketed word', () => {
    expect(parseTransparentHugePage('[always] madvise never\n')).toBe('always');
    expect(parseTransparentHugePage('always [madvise] never\n')).toBe('madvise');
    expect(parseTransparentHugePage('')).toBe('');
  });

  it('parseStatusUmask, parseStatusUid and parsePasswd read process owners and masks', () => {
    const status = 'Name:\tjava\nUmask:\t0027\nState:\tS (sleeping)\nUid:\t1001\t1001\t1001\t1001\n';
    expect(parseStatusUmask(status)).toBe(0o027);
    expect(String(parseStatusUmask(status))).toBe('23'); // the fixture's umask
    expect(parseStatusUmask('Name:\tx\n')).toBeUndefined();
    expect(parseStatusUid(status)).toBe(1001);
    const users = parsePasswd('root:x:0:0:root:/root:/bin/bash\nhdfs:x:1001:1001::/home/hdfs:/bin/bash\ntoor:x:0:0::/:/bin/sh\n\n');
    expect(users.get(0)).toBe('root');
    expect(users.get(1001)).toBe('hdfs');
    expect(users.size).toBe(2);
  });

  it('posixTzAbbreviation and tzifFooter give the standard-time name', () => {
    expect(posixTzAbbreviation('UTC0')).toBe('UTC');
    expect(posixTzAbbreviation('EST5EDT,M3.2.0,M11.1.0')).toBe('EST');
    expect(posixTzAbbreviation('<+0330>-3:30')).toBe('+0330');
    expect(posixTzAbbreviation('5')).toBeUndefined();
    const tzif = Buffer.concat([Buffer.from('TZif2'), Buffer.alloc(40), Buffer.from('\nCET-1CEST,M3.5.0,M10.5.0/3\n')]);
    expect(tzifFooter(tzif)).toBe('CET-1CEST,M3.5.0,M10.5.0/3');
    expect(tzifFooter(Buffer.concat([Buffer.from('TZif'), Buffer.alloc(41)]))).toBeUndefined();
    expect(tzifFooter(Buffer.from('not a zone file\n'))).toBeUndefined();
  });

  it('java process filters follow the original', () => {
    expect(isReportedJavaCommand('/usr/bin/java -Dproc_namenode org.apache.hadoop.hdfs.server.namenode.NameNode')).toBe(true);
    expect(isReportedJavaCommand('/usr/bin/java org.apache.ambari.server.controller.AmbariServer')).toBe(false);
    expect(isReportedJavaCommand('/usr/bin/python3 agent.py')).toBe(false);
    expect(isHadoopCommand('java org.apache.zookeeper.server.quorum.QuorumPeerMain')).toBe(true);
    expect(isHadoopCommand('java -jar jenkins.war')).toBe(false);
  });
});
