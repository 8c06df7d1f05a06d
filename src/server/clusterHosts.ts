// Every host the dev server has seen, with its stable id, and which of them are members of the
// cluster, as the Java server keeps them: a host gets its id (HostEntity.hostId) when it first
// registers and keeps it for good; registering does not put it in a cluster, the API does
// (HostResourceProvider.addHosts), and only members are in the topology. With a file
// (DATA_DIR/hosts.json) ids, addresses and membership survive a restart. Membership changes are
// saved at once; ids and addresses given at registration are saved at most once a second (a
// burst of registrations must not rewrite the file per host) and on flush(). An id lost to a
// crash before its save was never in a topology (joining saves at once), so giving it again is
// harmless.
import type { ServerLog } from './agentEndpoint.js';
import { StateFile } from './stateFile.js';
import { isPlainObject } from '../util/plainObject.js';

export interface KnownHost {
  host_name: string;
  /** Stable, never reused: HostEntity.hostId. */
  host_id: number;
  /** The address of its latest registration (hardwareProfile.ipaddress): TopologyHost.ipv4. */
  ipv4: string;
  member: boolean;
}

const SAVE_DELAY_MS = 1000;
export const DEFAULT_IPV4 = '127.0.0.1';

export class ClusterHosts {
  private readonly hosts = new Map<string, KnownHost>();
  private nextId = 1;
  private readonly state: StateFile<HostsFile> | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  /** Bumped by every change of what the topology shows (members, their ids and addresses). */
  revision = 0;

  constructor(persistence?: { file: string; log: ServerLog }) {
    if (!persistence) return;
    this.state = new StateFile(persistence.file, parseHostsFile, persistence.log);
    const saved = this.state.load();
    if (!saved) return;
    for (const host of saved.hosts) this.hosts.set(host.host_name, { ...host });
    this.nextId = saved.next_id;
  }

  /** At a registration: the host's id (a new one for a new host) and its current address. */
  registered(hostName: string, ipv4: string): KnownHost {
    const known = this.hosts.get(hostName);
    if (known) {
      if (known.ipv4 !== ipv4) {
        known.ipv4 = ipv4;
        if (known.member) this.revision++;
        this.saveSoon();
      }
      return known;
    }
    const host: KnownHost = { host_name: hostName, host_id: this.nextId++, ipv4, member: false };
    this.hosts.set(hostName, host);
    this.saveSoon();
    return host;
  }

  get(hostName: string): KnownHost | undefined {
    return this.hosts.get(hostName);
  }

  isMember(hostName: string): boolean {
    return this.hosts.get(hostName)?.member === true;
  }

  /** Makes known hosts members; returns those that were not (in the order given). Unknown names are the caller's to refuse. */
  add(hostNames: string[]): KnownHost[] {
    const added: KnownHost[] = [];
    for (const name of hostNames) {
      const host = this.hosts.get(name);
      if (!host || host.member) continue;
      host.member = true;
      added.push(host);
    }
    if (added.length > 0) {
      this.revision++;
      this.saveNow();
    }
    return added;
  }

  /** Ends a host's membership (it keeps its id); the host, or undefined when it was no member. */
  remove(hostName: string): KnownHost | undefined {
    const host = this.hosts.get(hostName);
    if (!host?.member) return undefined;
    host.member = false;
    this.revision++;
    this.saveNow();
    return host;
  }

  /** The members, by id. */
  members(): KnownHost[] {
    return [...this.hosts.values()].filter((host) => host.member).sort((a, b) => a.host_id - b.host_id);
  }

  /** Writes what a pending save would. */
  flush(): void {
    if (this.saveTimer !== undefined) this.saveNow();
  }

  private saveSoon(): void {
    if (!this.state || this.saveTimer !== undefined) return;
    this.saveTimer = setTimeout(() => this.saveNow(), SAVE_DELAY_MS);
    this.saveTimer.unref();
  }

  private saveNow(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.state?.save({ version: HOSTS_FILE_VERSION, next_id: this.nextId, hosts: [...this.hosts.values()] });
  }
}

// ---------------------------------------------------------------------------------------------
// hosts.json

const HOSTS_FILE_VERSION = 1;

interface HostsFile {
  version: typeof HOSTS_FILE_VERSION;
  next_id: number;
  hosts: KnownHost[];
}

function parseHostsFile(json: unknown): { value: HostsFile } | { error: string } {
  if (!isPlainObject(json)) return { error: 'not a JSON object' };
  if (json.version !== HOSTS_FILE_VERSION) return { error: `unknown version ${JSON.stringify(json.version ?? null)}` };
  if (!Number.isSafeInteger(json.next_id) || (json.next_id as number) < 1) return { error: '"next_id" must be a whole number >= 1' };
  if (!Array.isArray(json.hosts)) return { error: '"hosts" must be a list' };
  const names = new Set<string>();
  const ids = new Set<number>();
  for (const [index, h] of json.hosts.entries()) {
    const ok =
      isPlainObject(h) &&
      typeof h.host_name === 'string' && h.host_name !== '' &&
      Number.isSafeInteger(h.host_id) && (h.host_id as number) >= 1 && (h.host_id as number) < (json.next_id as number) &&
      typeof h.ipv4 === 'string' &&
      typeof h.member === 'boolean';
    if (!ok) return { error: `hosts[${index}] is not a valid host` };
    if (names.has(h.host_name as string) || ids.has(h.host_id as number)) return { error: `hosts[${index}]: ${h.host_name as string} or id ${h.host_id as number} twice` };
    names.add(h.host_name as string);
    ids.add(h.host_id as number);
  }
  return { value: json as unknown as HostsFile };
}
