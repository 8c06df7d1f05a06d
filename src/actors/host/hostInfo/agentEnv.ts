// agentEnv(): the registration's agentEnv, assembled from the readers beside it.
import * as os from 'node:os';
import { readText } from '../../../util/readOptional.js';
import { readOsRelease } from './osRelease.js';
import { parseStatusUmask, parseTransparentHugePage } from './parsers.js';
import { javaProcesses, scanProcesses } from './processes.js';
import { reverseLookup } from './reverseLookup.js';
import { firewall, timeServiceHealth } from './services.js';
import type { AgentEnv } from './types.js';

async function umaskValue(): Promise<number> {
  const fromStatus = parseStatusUmask((await readText('/proc/self/status')) ?? '');
  if (fromStatus !== undefined) return fromStatus;
  return process.umask(); // reads the mask (briefly setting and restoring it)
}

async function transparentHugePage(): Promise<string> {
  const text = (await readText('/sys/kernel/mm/transparent_hugepage/enabled')) ?? (await readText('/sys/kernel/mm/redhat_transparent_hugepage/enabled'));
  return text === undefined ? '' : parseTransparentHugePage(text);
}

/**
 * The original's HostInfoLinux.register without its expensive checks. `hostname` is the FQDN
 * checked by reverseLookup (default: os.hostname()); `now` gives agentTimeStampAtReporting, taken
 * last, as the original does. `umask` is the process umask printed in decimal, like the
 * original's str(os.umask(...)): 0o022 → "18", 0o027 → "23" (the fixture's value).
 */
export async function agentEnv(options: { now?: () => number; hostname?: string } = {}): Promise<AgentEnv> {
  const now = options.now ?? Date.now;
  const [{ readable, processes }, release, thp, umask, reverse] = await Promise.all([
    scanProcesses(),
    readOsRelease(),
    transparentHugePage(),
    umaskValue(),
    reverseLookup(options.hostname ?? os.hostname()),
  ]);
  const [activeJavaProcs, fw] = await Promise.all([javaProcesses(processes), firewall(release.osfamily, processes)]);
  const liveServices = [timeServiceHealth(processes, readable)];

  return {
    transparentHugePage: thp,
    hostHealth: {
      agentTimeStampAtReporting: now(),
      activeJavaProcs,
      liveServices,
    },
    reverseLookup: reverse,
    alternatives: [],
    hasUnlimitedJcePolicy: null,
    umask: String(umask),
    firewallName: fw.firewallName,
    stackFoldersAndFiles: [],
    existingUsers: [],
    firewallRunning: fw.firewallRunning,
  };
}
