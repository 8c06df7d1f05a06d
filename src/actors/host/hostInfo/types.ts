// The shapes the registration sends: HardwareProfile, its MountInfo entries, and AgentEnv.

export interface MountInfo {
  available: string;
  used: string;
  percent: string;
  device: string;
  mountpoint: string;
  type: string;
  size: string;
}

export interface HardwareProfile {
  kernel: string;
  domain: string;
  physicalprocessorcount: number;
  kernelrelease: string;
  uptime_days: string;
  memorytotal: number;
  swapfree: string;
  memorysize: number;
  osfamily: string;
  swapsize: string;
  processorcount: number;
  netmask: string;
  timezone: string;
  hardwareisa: string;
  memoryfree: number;
  operatingsystem: string;
  kernelmajversion: string;
  kernelversion: string;
  macaddress: string;
  operatingsystemrelease: string;
  ipaddress: string;
  hostname: string;
  uptime_hours: string;
  fqdn: string;
  id: string;
  architecture: string;
  selinux: boolean;
  mounts: MountInfo[];
  hardwaremodel: string;
  uptime_seconds: string;
  interfaces: string;
}

export interface AgentEnv {
  transparentHugePage: string;
  hostHealth: {
    agentTimeStampAtReporting: number;
    activeJavaProcs: Array<Record<string, unknown>>;
    liveServices: Array<{ status: string; name: string; desc: string }>;
  };
  reverseLookup: boolean;
  alternatives: unknown[];
  hasUnlimitedJcePolicy: boolean | null;
  umask: string;
  firewallName: string;
  stackFoldersAndFiles: unknown[];
  existingUsers: unknown[];
  firewallRunning: boolean;
}
