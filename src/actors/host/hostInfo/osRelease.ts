// The operating system's name, release and Ambari OS family, from /etc/os-release.
import * as os from 'node:os';
import { readText } from '../../../util/readOptional.js';

/** /etc/os-release → KEY → value (quotes and backslash escapes removed, comments skipped). */
export function parseOsRelease(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2].trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\$`])/g, '$1');
    }
    result[match[1]] = value;
  }
  return result;
}

// The original's ambari_commons/resources/os_family.json (distro → family), plus the ids
// /etc/os-release uses for the same distributions (rhel, rocky, ol, amzn, opensuse-leap, ...).
const OS_FAMILY_BY_DISTRO: Record<string, string> = {
  redhat: 'redhat', rhel: 'redhat', fedora: 'redhat', centos: 'redhat', oraclelinux: 'redhat', ol: 'redhat',
  ascendos: 'redhat', xenserver: 'redhat', oel: 'redhat', ovs: 'redhat', cloudlinux: 'redhat', slc: 'redhat',
  scientific: 'redhat', psbm: 'redhat', rocky: 'redhat', almalinux: 'redhat',
  amazonlinux: 'amazonlinux', amzn: 'amazonlinux',
  debian: 'debian',
  ubuntu: 'ubuntu',
  sles: 'suse', sled: 'suse', opensuse: 'suse', suse: 'suse', 'opensuse-leap': 'suse', 'opensuse-tumbleweed': 'suse', 'sle-micro': 'suse',
  openeuler: 'openeuler',
};

/**
 * Ambari OS family of an os-release ID / ID_LIKE: the ID's family when known, else the family of
 * the first known ID_LIKE entry, else the ID itself (as the original returns an unmapped os type).
 */
export function osFamilyOf(id: string, idLike = ''): string {
  const own = id.toLowerCase();
  if (OS_FAMILY_BY_DISTRO[own]) return OS_FAMILY_BY_DISTRO[own];
  for (const like of idLike.toLowerCase().split(/\s+/)) {
    if (OS_FAMILY_BY_DISTRO[like]) return OS_FAMILY_BY_DISTRO[like];
  }
  return own;
}

interface OsRelease {
  operatingsystem: string;
  operatingsystemrelease: string;
  osfamily: string;
}

export async function readOsRelease(): Promise<OsRelease> {
  const text = (await readText('/etc/os-release')) ?? (await readText('/usr/lib/os-release')) ?? '';
  const fields = parseOsRelease(text);
  const id = (fields.ID ?? '').toLowerCase();
  if (id === '') {
    // No os-release: name the kernel's platform and leave the release empty.
    const platform = os.platform();
    return { operatingsystem: platform, operatingsystemrelease: '', osfamily: platform };
  }
  return { operatingsystem: id, operatingsystemrelease: fields.VERSION_ID ?? '', osfamily: osFamilyOf(id, fields.ID_LIKE) };
}
