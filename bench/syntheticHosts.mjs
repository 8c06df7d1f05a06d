// N hosts registered with a dev server by the bench process itself, so the cluster topology
// has them without N agent processes: per host one TLS WebSocket with STOMP (the agent's own
// StompClient), SUBSCRIBE /user/, SEND /register with a body the strict Register schema
// (agentSchemas.ts) reads, then a heartbeat every interval, as an agent would (the dev server
// marks a silent host lost after three intervals; it stays in the topology, but a heartbeating
// cluster is the realistic load). Registering does not put a host in the cluster (as in Ambari):
// with `joinCluster` (default) they are added through the API, POST
// /api/v1/clusters/dev/hosts, in batches. close() disconnects them all.
import { STOMP_PATH } from '../dist/actors/link/serverLink.js';
import { StompClient } from '../dist/protocol/stompClient.js';
import { DEFAULT_AMBARI_VERSION } from '../dist/version.js';

/** What went wrong registering the synthetic hosts: the bench reports it in one line. */
export class SyntheticHostsError extends Error {}

const CONNECT_AT_ONCE = 8;
/** Hosts per POST /api/v1/clusters/dev/hosts (each batch is one topology UPDATE to the agents). */
const JOIN_BATCH = 500;
/** The post-registration sync requests of an agent (each with its cached hash: none yet). */
const SYNC = ['/agents/topologies', '/agents/metadata', '/agents/configs', '/agents/host_level_params', '/agents/alert_definitions'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A Register body (agent/Register.java) for a host that exists only in the bench. */
function registrationBody(hostname, index, agentVersion) {
  const now = Date.now();
  // Distinct addresses, so the topology's all_ipv4_ips is a list of 100 different ones.
  const ipaddress = `10.0.${Math.floor(index / 250)}.${(index % 250) + 1}`;
  return {
    id: -1,
    timestamp: now,
    hostname,
    currentPingPort: 8670,
    publicHostname: hostname,
    hardwareProfile: {
      hostname,
      fqdn: hostname,
      domain: '',
      ipaddress,
      netmask: '255.255.255.0',
      interfaces: 'eth0,lo',
      architecture: 'x86_64',
      hardwareisa: 'x86_64',
      hardwaremodel: 'x86_64',
      kernel: 'Linux',
      kernelrelease: '6.1.0',
      kernelmajversion: '6.1',
      kernelversion: '6.1.0',
      osfamily: 'debian',
      operatingsystem: 'debian',
      operatingsystemrelease: '12',
      memorysize: 8_000_000,
      memorytotal: 8_000_000,
      memoryfree: 4_000_000,
      processorcount: 2,
      physicalprocessorcount: 1,
      selinux: false,
      timezone: 'UTC',
      mounts: [{ device: '/dev/sda1', mountpoint: '/', type: 'ext4', size: '10189112', used: '2589424', available: '7075452', percent: '27%' }],
    },
    agentEnv: { umask: 18, transparentHugePage: 'never', firewallRunning: false, reverseLookup: true, stackFoldersAndFiles: [], alternatives: [], existingUsers: [], existingRepos: [], installedPackages: [] },
    agentVersion,
    prefix: '/var/lib/ambari-agent/data',
    agentStartTime: now,
  };
}

/** One host: connected, registered, heartbeating every `intervalMs` (first beat after `offsetMs`). */
async function registerOne(url, hostname, index, { agentVersion, intervalMs, offsetMs, onLost, onHeartbeat, sync }) {
  let client;
  try {
    client = await StompClient.connect({ url, tls: { rejectUnauthorized: false }, connectTimeoutMs: 60_000, requestTimeoutMs: 60_000 });
  } catch (err) {
    throw new SyntheticHostsError(`synthetic host ${hostname}: ${err.message}`);
  }
  client.subscribe('/user/');
  let answer;
  try {
    answer = await client.request('/register', registrationBody(hostname, index, agentVersion));
  } catch (err) {
    client.close('registration failed');
    throw new SyntheticHostsError(`synthetic host ${hostname}: /register at ${url} got no answer: ${err.message}`);
  }
  if (answer?.exitstatus !== 0) {
    client.close('registration refused');
    throw new SyntheticHostsError(`synthetic host ${hostname}: /register at ${url} refused: ${JSON.stringify(answer).slice(0, 300)}`);
  }
  if (sync) {
    try {
      for (const destination of SYNC) await client.request(destination, { hash: null });
    } catch (err) {
      client.close('sync failed');
      throw new SyntheticHostsError(`synthetic host ${hostname}: sync after /register at ${url} failed: ${err.message}`);
    }
  }
  let responseId = typeof answer.id === 'number' ? answer.id : 0;
  let closing = false;
  client.onClose((reason) => {
    if (!closing) onLost(`synthetic host ${hostname}: connection lost: ${reason}`);
  });
  const beat = async () => {
    try {
      const sent = performance.now();
      const reply = await client.request('/heartbeat', { id: responseId, timestamp: Date.now(), hostname });
      onHeartbeat?.(performance.now() - sent);
      if (typeof reply?.id === 'number') responseId = reply.id;
    } catch (err) {
      if (!closing) onLost(`synthetic host ${hostname}: heartbeat failed: ${err.message}`);
    }
  };
  let interval;
  const first = setTimeout(() => {
    void beat();
    interval = setInterval(beat, intervalMs);
  }, offsetMs);
  return {
    hostname,
    close() {
      closing = true;
      clearTimeout(first);
      clearInterval(interval);
      client.close('bench done');
    },
  };
}

/**
 * Registers `count` hosts named `${prefix}-N.test` with `server` (startDevServer's handle) and,
 * with `joinCluster`, adds them to the cluster through the API.
 * Throws SyntheticHostsError (one line) when any of them cannot register; the ones that did
 * are closed again. `problems()` lists losses after registration (a dropped connection, a
 * failed heartbeat), so a run can tell that its topology was not the one it asked for.
 * `first` numbers the hosts from there (a second call adds more hosts), `connectAtOnce` is how
 * many registrations are under way at once, `sync` makes each host send the agent's five sync
 * requests after registering, `onHeartbeat(ms)` hears each heartbeat's round trip.
 * @param {{ server: { securedUrlPort: number; apiPort: number }; address?: string; count: number; first?: number; prefix?: string; heartbeatIntervalMs?: number; agentVersion?: string; joinCluster?: boolean; connectAtOnce?: number; sync?: boolean; onHeartbeat?: (ms: number) => void }} options
 */
export async function registerSyntheticHosts({
  server,
  address = '127.0.0.1',
  count,
  first = 0,
  prefix = 'synthetic',
  heartbeatIntervalMs = 10_000,
  agentVersion = DEFAULT_AMBARI_VERSION,
  joinCluster = true,
  connectAtOnce = CONNECT_AT_ONCE,
  sync = false,
  onHeartbeat,
}) {
  const url = `wss://${address}:${server.securedUrlPort}${STOMP_PATH}`;
  const hosts = [];
  const lost = [];
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(first + i).padStart(3, '0')}.test`);
  const queue = names.map((name, index) => ({ name, index: first + index }));
  let failure;
  const worker = async () => {
    for (let next = queue.shift(); next && !failure; next = queue.shift()) {
      try {
        // Spread over the interval (a golden-ratio sequence, so later batches fill the gaps).
        const offsetMs = Math.round(((next.index * 0.6180339887) % 1) * heartbeatIntervalMs);
        hosts.push(await registerOne(url, next.name, next.index, { agentVersion, intervalMs: heartbeatIntervalMs, offsetMs, onLost: (problem) => lost.push(problem), onHeartbeat, sync }));
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(connectAtOnce, count) }, worker));
  const close = async () => {
    for (const host of hosts) host.close();
    // Let the DISCONNECT frames go out before the caller stops the server.
    await sleep(50);
  };
  if (failure) {
    await close();
    throw failure instanceof SyntheticHostsError ? failure : new SyntheticHostsError(`synthetic hosts: ${failure.message}`);
  }
  if (joinCluster) {
    try {
      await addToCluster(`http://${address}:${server.apiPort}`, names);
    } catch (err) {
      await close();
      throw err;
    }
  }
  return { names, problems: () => [...lost], close };
}

/** Adds registered hosts to the cluster, JOIN_BATCH per POST /api/v1/clusters/dev/hosts (Ambari's body). */
export async function addToCluster(apiUrl, names) {
  for (let i = 0; i < names.length; i += JOIN_BATCH) {
    const body = names.slice(i, i + JOIN_BATCH).map((host_name) => ({ Hosts: { host_name } }));
    const response = await fetch(`${apiUrl}/api/v1/clusters/dev/hosts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status !== 201 && response.status !== 200) {
      throw new SyntheticHostsError(`synthetic hosts: POST ${apiUrl}/api/v1/clusters/dev/hosts answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    }
  }
}
