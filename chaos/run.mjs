// `npm run chaos`: the fault-injection suite. Real processes on 127.0.0.1: the agent through its
// CLI (bin/ambari-agent), the dev server binary (bin/ambari-dev-server), command scripts; every
// trial in temp dirs of its own, on free ports. Faults take turns, one trial at a time, until
// the time is up; then one table: per fault, trials, tasks, and what went wrong (every column
// but trials and tasks should be 0). Exit code 1 when a column is not.
//
// Knobs: CHAOS_SECONDS (default 600: the whole run, clean-up included), CHAOS_SEED (replays
// the random moments; printed at start), CHAOS_FAULTS (a comma list of fault keys to run),
// CHAOS_SETTLE_SECONDS (default 60: how long tasks may take to reach the server after a fault
// before they count as lost), CHAOS_VERBOSE=1 (a line per step), CHAOS_KEEP_LOGS=DIR (each
// trial's agent logs copied there).
import { agentKill } from './agentKill.mjs';
import { cleanUpEverything } from './cleanup.mjs';
import { connectionCut } from './connectionCut.mjs';
import { fullLogDisk } from './fullLogDisk.mjs';
import { runSeed } from './random.mjs';
import { serverGarbage } from './serverGarbage.mjs';
import { serverRestart } from './serverRestart.mjs';
import { chaosDevServer, emptyCounts, runTrial } from './trial.mjs';

const FAULTS = [agentKill, serverRestart, connectionCut, serverGarbage, fullLogDisk];

function numberKnob(name, fallback, min) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) {
    console.error(`chaos: ${name} must be a number >= ${min}, not ${JSON.stringify(text)}`);
    process.exit(1);
  }
  return value;
}

const totalMs = numberKnob('CHAOS_SECONDS', 600, 30) * 1000;
const settleMs = numberKnob('CHAOS_SETTLE_SECONDS', 60, 5) * 1000;
const seed = runSeed();
const started = Date.now();
const deadline = started + totalMs;
/** Time kept for the last trial's settling and the clean-up. */
const RESERVE_MS = 15_000;

const wanted = process.env.CHAOS_FAULTS ? process.env.CHAOS_FAULTS.split(',').map((s) => s.trim()) : FAULTS.map((f) => f.key);
const unknown = wanted.filter((key) => !FAULTS.some((f) => f.key === key));
if (unknown.length > 0) {
  console.error(`chaos: unknown fault(s) in CHAOS_FAULTS: ${unknown.join(', ')}; known: ${FAULTS.map((f) => f.key).join(', ')}`);
  process.exit(1);
}
const faults = FAULTS.filter((f) => wanted.includes(f.key));
const rows = new Map(faults.map((f) => [f.key, { ...emptyCounts(), skipped: f.skipReason?.() }]));

/** Per fault, its dev server, started at its first trial and shared by its trials. */
const shared = new Map(
  faults.map((f) => {
    let server;
    return [f.key, { server: async () => (server ??= await chaosDevServer()), close: async () => (await server)?.close() }];
  }),
);

function printTable() {
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\nambari-agent fault injection: seed ${seed}, ${elapsed} s of ${totalMs / 1000}, node ${process.versions.node}, ${new Date().toISOString()}\n`);
  console.log('| fault | trials | tasks | lost | duplicated | wrong status | orphans | agent crashes | finals resent (not a fault) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const fault of faults) {
    const row = rows.get(fault.key);
    if (row.skipped) {
      console.log(`| ${fault.title} | skipped: ${row.skipped} | | | | | | | |`);
      continue;
    }
    console.log(`| ${fault.title} | ${row.trials} | ${row.tasks} | ${row.lost} | ${row.duplicated} | ${row.wrong} | ${row.orphans} | ${row.crashes} | ${row.resent} |`);
  }
  const errors = faults.reduce((sum, f) => sum + rows.get(f.key).errors, 0);
  if (errors > 0) console.log(`\n${errors} trial(s) ended in an error of the suite itself (not counted above; see below).`);
  const details = faults.flatMap((f) => rows.get(f.key).details);
  if (details.length > 0) {
    console.log('\nWhat was counted:');
    for (const line of details) console.log(`- ${line}`);
  }
  console.log(`\nReplay: CHAOS_SEED=${seed} CHAOS_SECONDS=${totalMs / 1000} npm run chaos`);
}

const failing = () => faults.some((f) => {
  const row = rows.get(f.key);
  return row.lost + row.duplicated + row.wrong + row.orphans + row.crashes + row.errors > 0;
});

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\nchaos: ${signal}: stopping agents and dev servers, removing temp dirs...`);
    cleanUpEverything().finally(() => {
      printTable();
      process.exit(130);
    });
  });
}
// Whatever hangs, the run ends: a minute past the deadline everything is torn down.
const watchdog = setTimeout(() => {
  console.error('chaos: past the deadline; cleaning up and exiting');
  interrupted = true;
  cleanUpEverything().finally(() => {
    printTable();
    process.exit(2);
  });
}, totalMs + 60_000);
watchdog.unref();

console.log(`chaos: seed ${seed} (CHAOS_SEED), ${totalMs / 1000} s (CHAOS_SECONDS), faults: ${faults.map((f) => f.key).join(', ')}`);
try {
  const runnable = faults.filter((f) => !rows.get(f.key).skipped);
  const index = new Map(runnable.map((f) => [f.key, 0]));
  let progress = true;
  while (progress && !interrupted) {
    progress = false;
    for (const fault of runnable) {
      if (interrupted) break;
      const left = deadline - Date.now();
      if (left < fault.budgetMs + RESERVE_MS) continue;
      const i = index.get(fault.key);
      index.set(fault.key, i + 1);
      const counts = await runTrial({
        key: fault.key,
        index: i,
        seed,
        row: rows.get(fault.key),
        settleMs: Math.max(5_000, Math.min(settleMs, deadline - Date.now() - RESERVE_MS)),
        body: (ctx) => fault.trial(ctx, shared.get(fault.key), i),
      });
      const bad = counts.lost + counts.duplicated + counts.wrong + counts.orphans + counts.crashes + counts.errors;
      console.error(`chaos: ${fault.key} #${i}: ${counts.tasks} tasks${bad ? `, ${bad} problem(s)` : ', ok'} (${Math.round((deadline - Date.now()) / 1000)} s left)`);
      progress = true;
    }
  }
} finally {
  if (!interrupted) {
    for (const s of shared.values()) await s.close().catch(() => {});
    await cleanUpEverything();
  }
}
if (!interrupted) {
  printTable();
  process.exit(failing() ? 1 : 0);
}
