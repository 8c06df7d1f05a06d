// agentEnv's service checks judged from running processes and config files: time service, firewall.
import { readText } from '../../../util/readOptional.js';
import type { ProcessInfo } from './processes.js';

const TIME_SERVICE_PROCESSES = new Set(['ntpd', 'chronyd', 'systemd-timesyncd', 'systemd-timesyn']);

export function timeServiceHealth(processes: readonly ProcessInfo[], procReadable: boolean): { status: string; name: string; desc: string } {
  const name = 'ntpd or chronyd';
  if (processes.some((p) => TIME_SERVICE_PROCESSES.has(p.comm))) return { status: 'Healthy', name, desc: '' };
  const desc = procReadable ? 'no ntpd, chronyd or systemd-timesyncd process is running' : 'cannot list processes in /proc';
  return { status: 'Unhealthy', name, desc };
}

/**
 * Firewall name and state, from what can be read without privileges: a running firewalld wins;
 * otherwise the original's choice by family (ufw on Debian/Ubuntu, running when /etc/ufw/ufw.conf
 * says ENABLED=yes; iptables elsewhere, running when the kernel lists a loaded "filter" table).
 */
export async function firewall(osfamily: string, processes: readonly ProcessInfo[]): Promise<{ firewallName: string; firewallRunning: boolean }> {
  if (processes.some((p) => p.comm === 'firewalld' || /(^|\s|\/)firewalld(\s|$)/.test(p.command))) {
    return { firewallName: 'firewalld', firewallRunning: true };
  }
  if (osfamily === 'ubuntu' || osfamily === 'debian') {
    const conf = (await readText('/etc/ufw/ufw.conf')) ?? '';
    return { firewallName: 'ufw', firewallRunning: /^\s*ENABLED\s*=\s*"?yes"?\s*$/im.test(conf) };
  }
  const tables = (await readText('/proc/net/ip_tables_names')) ?? '';
  return { firewallName: 'iptables', firewallRunning: tables.split('\n').some((t) => t.trim() === 'filter') };
}
