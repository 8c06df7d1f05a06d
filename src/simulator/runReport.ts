// What `simulate` prints: a progress line while it runs, and at the end a summary table or,
// with --json, one JSON document with the same figures.
import type { FleetCounts, HostFleet } from './hostFleet.js';
import type { LatencyHistogram } from './latencyHistogram.js';

export interface RunSummary {
  hosts: number;
  counts: FleetCounts;
  heartbeats: number;
  latenessMs: { p50: number | null; p99: number | null; max: number | null };
  /** The same, of the heartbeats answered once every host had registered. */
  steadyLatenessMs: { p50: number | null; p99: number | null; max: number | null };
  /** First registrations per second, from the first to the last one. */
  registrationsPerSecond: number | null;
  /** From the first host started to the last first registration. */
  allRegisteredAfterSeconds: number | null;
  durationSeconds: number;
  cpuPercent: number;
  peakRssMiB: number;
  /** Distinct cache contents held, and how many times one was shared instead of kept again. */
  caches: { distinct: number; shared: number };
  stopReason: string;
  errors: string[];
}

const latency = (histogram: LatencyHistogram) => ({ p50: histogram.percentile(0.5) ?? null, p99: histogram.percentile(0.99) ?? null, max: histogram.count > 0 ? Math.round(histogram.maxMs) : null });

export function progressLine(fleet: HostFleet, elapsedSeconds: number, lastProblem: string | undefined): string {
  const c = fleet.counts();
  const p50 = fleet.recentLateness.percentile(0.5);
  const p99 = fleet.recentLateness.percentile(0.99);
  const lateness = p50 === undefined ? '' : `, heartbeat lateness p50 ${p50} ms p99 ${p99} ms`;
  const problem = lastProblem ? `; last problem: ${lastProblem.length > 120 ? `${lastProblem.slice(0, 117)}...` : lastProblem}` : '';
  return `simulate ${elapsedSeconds.toFixed(0)} s: ${c.started}/${fleet.size} started, ${c.registered} registered, ${c.heartbeating} heartbeating, ${c.late} late, ${c.lost} lost${c.failed > 0 ? `, ${c.failed} failed` : ''}${lateness}${problem}`;
}

export function summaryOf(fleet: HostFleet, extra: Pick<RunSummary, 'durationSeconds' | 'cpuPercent' | 'peakRssMiB' | 'caches' | 'stopReason'>, counts: FleetCounts): RunSummary {
  const span = fleet.firstRegistration !== undefined && fleet.lastRegistration !== undefined ? (fleet.lastRegistration - fleet.firstRegistration) / 1000 : undefined;
  return {
    hosts: fleet.size,
    counts,
    heartbeats: fleet.heartbeats,
    latenessMs: latency(fleet.lateness),
    steadyLatenessMs: latency(fleet.steadyLateness),
    registrationsPerSecond: span !== undefined && span > 0 ? Math.round((counts.everRegistered / span) * 10) / 10 : null,
    allRegisteredAfterSeconds: fleet.lastRegistration !== undefined ? Math.round((fleet.lastRegistration - fleet.startedAt) / 100) / 10 : null,
    ...extra,
    errors: [...fleet.errors],
  };
}

export function summaryTable(summary: RunSummary): string {
  const { counts } = summary;
  const ms = (value: number | null) => (value === null ? '-' : `${value} ms`);
  const rows: Array<[string, string]> = [
    ['hosts simulated', `${summary.hosts} (${counts.started} started)`],
    ['registered at least once', String(counts.everRegistered)],
    ['registered when stopped', String(counts.registered)],
    ['hosts restarted (exit 77)', String(counts.restarts)],
    ['hosts failed', String(counts.failed)],
    ['heartbeats answered', String(summary.heartbeats)],
    ['heartbeat lateness p50 / p99 / max', `${ms(summary.latenessMs.p50)} / ${ms(summary.latenessMs.p99)} / ${ms(summary.latenessMs.max)}`],
    ['  once all had registered', `${ms(summary.steadyLatenessMs.p50)} / ${ms(summary.steadyLatenessMs.p99)} / ${ms(summary.steadyLatenessMs.max)}`],
    ['registrations per second', summary.registrationsPerSecond === null ? '-' : String(summary.registrationsPerSecond)],
    ['all registered after', summary.allRegisteredAfterSeconds === null ? '-' : `${summary.allRegisteredAfterSeconds} s`],
    ['run time', `${summary.durationSeconds.toFixed(1)} s (${summary.stopReason})`],
    ['CPU (of one core)', `${summary.cpuPercent.toFixed(1)} %`],
    ['peak RSS', `${summary.peakRssMiB.toFixed(1)} MiB`],
    ['cache contents held / shared', `${summary.caches.distinct} / ${summary.caches.shared}`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`);
  if (summary.errors.length > 0) lines.push('', '  last errors:', ...summary.errors.map((error) => `    ${error}`));
  return lines.join('\n');
}
