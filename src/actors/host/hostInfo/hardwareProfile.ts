// hardwareProfile(): the registration's hardwareProfile, assembled from the readers beside it.
import * as os from 'node:os';
import { readText } from '../../../util/readOptional.js';
import { currentUser, interfaceNames, primaryIPv4, processorCount, selinuxEnforcing } from './hostFacts.js';
import { mountsOf } from './mounts.js';
import { readOsRelease } from './osRelease.js';
import { kbToGb, kernelVersions, parseMeminfo, parsePhysicalProcessorCount, parseSwaps, parseUptimeSeconds, uptimeFields } from './parsers.js';
import { timezoneName } from './timezone.js';
import type { HardwareProfile } from './types.js';

export async function hardwareProfile(options: { hostname: string; ignoreMountPoints?: string[] }): Promise<HardwareProfile> {
  const fqdn = options.hostname;
  const dot = fqdn.indexOf('.');
  const shortName = dot < 0 ? fqdn : fqdn.slice(0, dot);
  const domain = dot < 0 ? '' : fqdn.slice(dot + 1);

  const [meminfoText, swapsText, uptimeText, cpuinfoText, release, timezone, selinux, interfaces, mounts] = await Promise.all([
    readText('/proc/meminfo'),
    readText('/proc/swaps'),
    readText('/proc/uptime'),
    readText('/proc/cpuinfo'),
    readOsRelease(),
    timezoneName(),
    selinuxEnforcing(),
    interfaceNames(),
    mountsOf(options.ignoreMountPoints ?? []),
  ]);

  const meminfo = parseMeminfo(meminfoText ?? '');
  const memorytotal = meminfo.MemTotal ?? Math.floor(os.totalmem() / 1024);
  const memoryfree = meminfo.MemFree ?? Math.floor(os.freemem() / 1024);
  let swapTotal = meminfo.SwapTotal;
  let swapFree = meminfo.SwapFree;
  if (swapTotal === undefined || swapFree === undefined) {
    const swaps = parseSwaps(swapsText ?? '');
    swapTotal ??= swaps.size;
    swapFree ??= Math.max(0, swaps.size - swaps.used);
  }

  const uptime = uptimeFields(parseUptimeSeconds(uptimeText ?? '') ?? os.uptime());
  const kernelrelease = os.release();
  const { kernelversion, kernelmajversion } = kernelVersions(kernelrelease);
  const machine = typeof os.machine === 'function' ? os.machine() : os.arch();
  const net = primaryIPv4();

  return {
    kernel: os.type(),
    domain,
    physicalprocessorcount: parsePhysicalProcessorCount(cpuinfoText ?? ''),
    kernelrelease,
    uptime_days: uptime.uptime_days,
    memorytotal,
    swapfree: kbToGb(swapFree),
    memorysize: memorytotal,
    osfamily: release.osfamily,
    swapsize: kbToGb(swapTotal),
    processorcount: processorCount(),
    netmask: net.netmask,
    timezone,
    hardwareisa: machine,
    memoryfree,
    operatingsystem: release.operatingsystem,
    kernelmajversion,
    kernelversion,
    macaddress: net.macaddress,
    operatingsystemrelease: release.operatingsystemrelease,
    ipaddress: net.ipaddress,
    hostname: shortName,
    uptime_hours: uptime.uptime_hours,
    fqdn,
    id: currentUser(),
    architecture: machine,
    selinux,
    mounts,
    hardwaremodel: machine,
    uptime_seconds: uptime.uptime_seconds,
    interfaces,
  };
}
