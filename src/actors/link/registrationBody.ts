// The body of SEND /register, built fresh for every registration from what this host is now:
// hostname (as preflight settled it), the ping port actually bound, hardware profile and
// agentEnv, the Ambari version (read from prefix/version each time), prefix and start time.
// Register (agent/Register.java) reads exactly these properties.
import type { AnyActorRef } from 'xstate';
import type { AgentIni } from '../../config/schema.js';
import { readAmbariVersion } from './ambariVersion.js';
import { SUPERVISOR_SYSTEM_ID } from '../local/controlChannel.js';
import { agentHostname } from '../host/hostname.js';
import { agentEnv, hardwareProfile } from '../host/hostInfo/index.js';

export interface RegistrationBodySettings {
  agent: AgentIni['agent'];
  /** The hostname preflight determined, when it has run. */
  hostname: () => string | undefined;
  startedAt: number;
}

export function createRegistrationBody(settings: RegistrationBodySettings) {
  const { agent } = settings;
  return async (system: { get(id: string): AnyActorRef | undefined }): Promise<Record<string, unknown>> => {
    const hostname = settings.hostname() ?? (await agentHostname(agent.hostname_script)).hostname;
    const publicHostname = agent.public_hostname_script ? (await agentHostname(agent.public_hostname_script)).hostname : hostname;
    const root = system.get(SUPERVISOR_SYSTEM_ID);
    const boundPort = (root?.getSnapshot() as { context?: { boundPort?: number } } | undefined)?.context?.boundPort;
    return {
      id: -1,
      timestamp: Date.now(),
      hostname,
      currentPingPort: boundPort ?? agent.ping_port,
      publicHostname,
      hardwareProfile: await hardwareProfile({ hostname, ignoreMountPoints: agent.ignore_mount_points }),
      agentEnv: await agentEnv({ hostname }),
      agentVersion: await readAmbariVersion(agent.prefix),
      prefix: agent.prefix,
      agentStartTime: settings.startedAt,
    };
  };
}
