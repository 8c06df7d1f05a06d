// The hostInfo public API: hardwareProfile(), agentEnv(), their types, and the pure parsers (exported for tests).
//
// What the agent tells the server about its host when it registers: the `hardwareProfile`
// (the original's Hardware.py + Facter.py) and the `agentEnv` (HostInfo.py), in the shapes of
// fixtures/registration_request.json.
//
// Everything is read from files (/proc, /sys, /etc) and node:os; nothing is spawned and the only
// name lookups are of this host's own names (reverseLookup). Every source may be missing (non-root,
// containers, sandboxes): a missing or unreadable file gives a fallback value, never an error.
//
// Where this differs from the original, on purpose:
// - mounts come from /proc/mounts + statfs instead of `df -kPT` (same figures and filters, see
//   mountsOf in mounts.ts); ipaddress/netmask/macaddress from the first non-internal IPv4
//   interface instead of resolving the FQDN / uuid.getnode(); physicalprocessorcount counts
//   distinct "physical id"s (the original repeats the logical CPU count); selinux is
//   "enforcing" (the original's `sestatus` also says true for permissive); interfaces lists every
//   interface in /proc/net/dev (like the original's `ip link` fallback).
// - agentEnv: liveServices and the firewall are judged from running processes and config files
//   instead of `service ... status`; alternatives, stackFoldersAndFiles and existingUsers are
//   left empty, as the original leaves them when it skips its expensive checks (registration).
export { agentEnv } from './agentEnv.js';
export { hardwareProfile } from './hardwareProfile.js';
export type { MountEntry } from './mounts.js';
export { dfFigures, isCandidateMount, isMountBlacklisted, parseMounts } from './mounts.js';
export { osFamilyOf, parseOsRelease } from './osRelease.js';
export {
  kbToGb,
  kernelVersions,
  parseMeminfo,
  parseNetDevInterfaces,
  parsePhysicalProcessorCount,
  parseStatusUmask,
  parseSwaps,
  parseTransparentHugePage,
  parseUptimeSeconds,
  uptimeFields,
} from './parsers.js';
export { isHadoopCommand, isReportedJavaCommand, parsePasswd, parseStatusUid } from './processes.js';
export { posixTzAbbreviation, tzifFooter } from './timezone.js';
export type { AgentEnv, HardwareProfile, MountInfo } from './types.js';
