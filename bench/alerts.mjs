// Alert figures for `npm run bench`: one real agent on the real dev server runs N PORT alert
// definitions (BENCH_ALERTS, default 500) at a 1-minute interval against a TCP listener of the
// bench, for BENCH_ALERTS_SECONDS (default 150: two checks of each). Measured: the agent's CPU
// and RSS while it runs them, and per result its lateness: from when the check was due (one
// interval after the definition reached the agent, then every interval) to when the agent
// checked (the result's timestamp) and to when the dev server had it (received_at). The
// definitions are created through the dev server's API, which pushes each to the agent at once;
// "reached the agent" is taken as when the API answered, so push latency counts as lateness.
import { createServer } from 'node:net';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MINUTE = 60_000;

/**
 * @param {{ server: any; host: string; pid: number; definitions: number; seconds: number; cpuTicks: (pid: number) => number; rssKb: (pid: number) => number }} options
 */
export async function alertBench({ server, host, pid, definitions, seconds, cpuTicks, rssKb }) {
  const listener = createServer((socket) => socket.end());
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = listener.address().port;
  try {
    const scheduledAt = new Map();
    for (let i = 0; i < definitions; i++) {
      const name = `bench_port_${i}`;
      const { status, body } = await server.api('/api/v1/clusters/dev/alert_definitions', {
        name, serviceName: 'AMBARI', componentName: 'AMBARI_AGENT', interval: 1, scope: 'HOST',
        source: { type: 'PORT', uri: `127.0.0.1:${port}`, default_port: port },
      });
      if (status !== 201) throw new Error(`alert bench: creating ${name} answered ${status}: ${JSON.stringify(body)}`);
      scheduledAt.set(name, Date.now());
    }
    const createdAll = Date.now();
    const ticks0 = cpuTicks(pid);
    const t0 = performance.now();
    const seen = new Map();
    const checked = [];
    const reported = [];
    const deadline = createdAll + seconds * 1000;
    while (Date.now() < deadline) {
      const { body } = await server.api(`/api/v1/hosts/${host}/alerts`);
      for (const alert of body?.alerts ?? []) {
        const at = scheduledAt.get(alert.name);
        const timestamp = alert.latest?.timestamp;
        if (at === undefined || timestamp === undefined || seen.get(alert.name) === timestamp) continue;
        seen.set(alert.name, timestamp);
        const due = at + Math.max(1, Math.round((timestamp - at) / MINUTE)) * MINUTE;
        checked.push(timestamp - due);
        reported.push(alert.received_at - due);
      }
      await sleep(250);
    }
    const cpuPercent = ((cpuTicks(pid) - ticks0) / 100 / ((performance.now() - t0) / 1000)) * 100;
    return { checked, reported, cpuPercent, rss: rssKb(pid), definitions, seconds, results: checked.length };
  } finally {
    await new Promise((resolve) => listener.close(resolve));
  }
}

/** The p-th percentile (0..100) of values, nearest rank. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
