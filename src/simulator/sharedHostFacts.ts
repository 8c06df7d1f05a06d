// What the simulated hosts say about "their" machine: it is this one for all of them, so the
// hardware profile, agentEnv and host status are collected once (at most every REFRESH_MS) and
// each host's copy differs only in its names. Collecting them per host would run the disk and
// process probes thousands of times a minute.
import { agentEnv, hardwareProfile, type AgentEnv, type HardwareProfile } from '../actors/host/hostInfo/index.js';
import { collectHostStatus, type HostStatus } from '../actors/reporters/hostStatusReporter.js';

const REFRESH_MS = 30_000;

interface Facts {
  hardwareProfile: HardwareProfile;
  agentEnv: AgentEnv;
}

export interface RegistrationFacts {
  hostname: string;
  /** [agent] ping_port as configured: a simulated host binds none. */
  pingPort: number;
  agentVersion: string;
  prefix: string;
  startedAt: number;
}

export class SharedHostFacts {
  private facts?: { at: number; value: Promise<Facts> };
  private status?: { at: number; value: Promise<HostStatus> };

  constructor(
    private readonly machineHostname: string,
    private readonly ignoreMountPoints: string[] = [],
    private readonly now: () => number = Date.now,
  ) {}

  private machineFacts(): Promise<Facts> {
    if (!this.facts || this.now() - this.facts.at > REFRESH_MS) {
      const value = Promise.all([hardwareProfile({ hostname: this.machineHostname, ignoreMountPoints: this.ignoreMountPoints }), agentEnv({ hostname: this.machineHostname })]).then(([profile, env]) => ({ hardwareProfile: profile, agentEnv: env }));
      // A failed collection is tried again by the next host, not kept.
      value.catch(() => (this.facts = undefined));
      this.facts = { at: this.now(), value };
    }
    return this.facts.value;
  }

  /** The address every simulated host registers with (this machine's), for the hosts file lines. */
  async ipAddress(): Promise<string> {
    return (await this.machineFacts()).hardwareProfile.ipaddress;
  }

  /** A Register body (agent/Register.java) for one simulated host. */
  async registrationBody(host: RegistrationFacts): Promise<Record<string, unknown>> {
    const facts = await this.machineFacts();
    const dot = host.hostname.indexOf('.');
    return {
      id: -1,
      timestamp: this.now(),
      hostname: host.hostname,
      currentPingPort: host.pingPort,
      publicHostname: host.hostname,
      hardwareProfile: { ...facts.hardwareProfile, hostname: dot < 0 ? host.hostname : host.hostname.slice(0, dot), fqdn: host.hostname, domain: dot < 0 ? '' : host.hostname.slice(dot + 1) },
      agentEnv: facts.agentEnv,
      agentVersion: host.agentVersion,
      prefix: host.prefix,
      agentStartTime: host.startedAt,
    };
  }

  /** The /reports/host_status body (agentEnv and mounts), the same for every host. */
  hostStatus(): Promise<HostStatus> {
    if (!this.status || this.now() - this.status.at > REFRESH_MS) {
      const value = collectHostStatus(this.machineHostname, this.ignoreMountPoints);
      value.catch(() => (this.status = undefined));
      this.status = { at: this.now(), value };
    }
    return this.status.value;
  }
}
