// Small hardwareProfile facts from node:os and /sys: user, primary IPv4, interfaces, CPUs, SELinux.
import * as os from 'node:os';
import { readText } from '../../../util/readOptional.js';
import { parseNetDevInterfaces } from './parsers.js';

export function currentUser(): string {
  try {
    const name = os.userInfo().username;
    if (name) return name;
  } catch {
    // uid without a passwd entry (containers)
  }
  return process.env.LOGNAME || process.env.USER || process.env.USERNAME || String(process.getuid?.() ?? '');
}

export function primaryIPv4(): { ipaddress: string; netmask: string; macaddress: string } {
  let interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = {};
  try {
    interfaces = os.networkInterfaces();
  } catch {
    // no interface information available
  }
  for (const addresses of Object.values(interfaces)) {
    for (const info of addresses ?? []) {
      if (info.family === 'IPv4' && !info.internal) {
        return { ipaddress: info.address, netmask: info.netmask, macaddress: info.mac.toUpperCase() };
      }
    }
  }
  return { ipaddress: '127.0.0.1', netmask: '255.0.0.0', macaddress: '00:00:00:00:00:00' };
}

export async function interfaceNames(): Promise<string> {
  const fromProc = parseNetDevInterfaces((await readText('/proc/net/dev')) ?? '');
  if (fromProc.length > 0) return fromProc.join(',');
  try {
    return Object.keys(os.networkInterfaces()).join(',');
  } catch {
    return '';
  }
}

export function processorCount(): number {
  try {
    const count = os.cpus().length;
    if (count > 0) return count;
  } catch {
    // fall through
  }
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : 1;
}

export async function selinuxEnforcing(): Promise<boolean> {
  const text = (await readText('/sys/fs/selinux/enforce')) ?? (await readText('/selinux/enforce'));
  return text?.trim() === '1';
}
