// One trial of one fault: its temp dir, its token, its agents and dev servers, and at its end
// the checks every trial shares: the agents still the ones it started (else an agent crash),
// `stop` exiting 0, no command process left (orphans), no stack trace or bad exit in the
// agents' files (agent crashes). Everything it made is undone, newest first, whatever happens.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer } from '../test/support/devServer.mjs';
import { readPidFile } from '../test/support/cli.mjs';
import { newAgent } from './agents.mjs';
import { onCleanup } from './cleanup.mjs';
import { killProcesses, tokenProcesses } from './orphans.mjs';
import { trialRandom } from './random.mjs';
import { TaskBook } from './tasks.mjs';

/** Arguments every dev server of the suite gets: unconfirmed commands go out again after 2 s. */
export const DEV_SERVER_ARGS = ['--command-retry-interval', '2'];

/** A dev server (test/support/devServer.mjs) that is stopped and removed by the clean-up too. */
export async function chaosDevServer(options = {}) {
  const server = await startDevServer({ ...options, args: [...DEV_SERVER_ARGS, ...(options.args ?? [])] });
  // Killed (and its data dir removed, unless the caller owns it) by the clean-up.
  const undo = onCleanup(`dev server pid ${server.pid}`, async () => {
    await server.kill();
    if (!options.dataDir) rmSync(server.dataDir, { recursive: true, force: true });
  });
  return {
    ...server,
    /** SIGKILL or SIGTERM, the data dir kept (a restart follows). */
    down: async (how) => {
      undo.forget();
      await (how === 'SIGKILL' ? server.kill() : server.stop({ keep: true }));
    },
    close: async () => {
      undo.forget();
      await server.stop();
    },
  };
}

/** An empty row of the table. */
export const emptyCounts = () => ({ trials: 0, tasks: 0, lost: 0, duplicated: 0, wrong: 0, resent: 0, orphans: 0, crashes: 0, errors: 0, details: [] });

/**
 * Runs `body(ctx)` as trial `index` of fault `key`, adds its counts to `row`.
 * ctx: rng, dir, token, host (the trial's host name), book (TaskBook), agent(server, set?),
 * expectSame(agent, when), defer(what, fn), judge(server, {agentDied}), settleMs.
 */
export async function runTrial({ key, index, seed, row, settleMs, body }) {
  const name = `${key}-${index}`;
  const dir = mkdtempSync(join(tmpdir(), 'aa-chaos-'));
  const removeDir = onCleanup(`trial dir ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
  const token = `${seed}-${name}-${process.pid}`;
  const killLeft = onCleanup(`processes of trial ${name}`, async () => killProcesses(tokenProcesses(token)));
  const host = `chaos-${name}.test`;
  const agents = [];
  const deferred = [];
  const counts = { tasks: 0, lost: 0, duplicated: 0, wrong: 0, resent: 0, orphans: 0, crashes: 0, errors: 0, details: [] };
  const note = (text) => counts.details.push(`${name}: ${text}`);
  const ctx = {
    rng: trialRandom(seed, name),
    dir,
    token,
    host,
    book: new TaskBook(dir, host),
    settleMs,
    note,
    async agent(server, set = []) {
      const agent = await newAgent({ server, name: host, token, dir, set });
      agents.push(agent);
      return agent;
    },
    /** A progress line (CHAOS_VERBOSE=1). */
    trace(text) {
      if (process.env.CHAOS_VERBOSE === '1') console.error(`  ${name}: ${text}`);
    },
    /** Counts an agent crash (or an agent that stopped working). */
    crash(text) {
      counts.crashes++;
      note(`agent crash: ${text}`);
    },
    /** Counts an agent crash unless the agent this trial started is still the one running. */
    expectSame(agent, when) {
      if (agent.isSame()) return true;
      ctx.crash(`agent ${agent.pid} was gone ${when} (now: ${readPidFile(agent.home) ?? 'no pid file'})`);
      return false;
    },
    /** With every agent of the trial stopped: counts (and kills) the processes left. */
    orphansNow(when) {
      const left = tokenProcesses(token);
      if (left.length === 0) return;
      counts.orphans += left.length;
      note(`orphans ${when}: ${left.map((p) => `${p.pid} (${p.argv.slice(0, 80)})`).join(', ')}`);
      killProcesses(left);
    },
    defer(what, fn) {
      deferred.push(onCleanup(what, fn));
    },
    async judge(server, { agentDied }) {
      const tasks = await ctx.book.settle(server, settleMs);
      const result = ctx.book.judge(tasks, { agentDied });
      ctx.trace(`tasks: ${ctx.book.entries.map((e) => `${e.taskId}=${tasks.get(e.taskId)?.status ?? '?'}`).join(' ')}`);
      for (const column of ['tasks', 'lost', 'duplicated', 'wrong', 'resent']) counts[column] += result[column];
      for (const detail of result.details) note(detail);
    },
  };
  try {
    await body(ctx);
  } catch (err) {
    if (err?.agentFault) ctx.crash(err.message);
    else {
      // The suite's own failure (a bad request, a dev server that did not start): not the
      // agent's, but the run is not clean either.
      counts.errors++;
      note(`suite error: ${err?.stack ?? err}`);
    }
  } finally {
    for (const agent of agents) {
      if (agent.stopper) {
        ctx.expectSame(agent, 'at the end of the trial');
        const code = await agent.stop();
        if (code !== 0) {
          counts.crashes++;
          note(`agent crash: ambari-agent stop exited ${code}`);
        }
      }
    }
    ctx.orphansNow('after the last stop');
    for (const agent of agents) {
      ctx.trace(`log: ${agent.logSummary()}`);
      const problems = agent.problems();
      if (problems.length > 0) {
        counts.crashes++;
        note(`agent crash: ${problems.join(' || ')}`);
      }
    }
    // CHAOS_KEEP_LOGS=DIR: each agent's log dir is copied to DIR/TRIAL (to read after the run).
    if (process.env.CHAOS_KEEP_LOGS) {
      for (const agent of agents) cpSync(join(agent.files.logFile, '..'), join(process.env.CHAOS_KEEP_LOGS, name), { recursive: true });
    }
    for (const undo of deferred.reverse()) await undo.now().catch((err) => note(`clean-up: ${err.message}`));
    for (const agent of agents) await agent.removeHome.now();
    await killLeft.now();
    await removeDir.now();
  }
  row.trials++;
  for (const column of ['tasks', 'lost', 'duplicated', 'wrong', 'resent', 'orphans', 'crashes', 'errors']) row[column] += counts[column];
  row.details.push(...counts.details);
  return counts;
}
