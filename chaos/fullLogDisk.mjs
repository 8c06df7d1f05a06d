// A full log disk: the agent's logdir (ambari-agent.log and .out) on a 1 MiB tmpfs, filled to
// the last byte before the agent starts or while it runs; then DEBUG logging (SIGUSR2), an actor
// tree dump (SIGUSR1), a cut connection (warnings to log) and commands with output. The agent
// must go on running commands and reporting them (it drops the lines it cannot write).
// Needs `mount -t tmpfs` (root, and a machine that allows it); otherwise the row is skipped
// and says why. Every mount is unmounted when the trial ends.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sleep } from './agents.mjs';

const SIZE = '1m';

function mount(dir, size) {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function unmount(dir) {
  try {
    execFileSync('umount', [dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch {
    // still busy (a process holds a file there): detach it now, it goes when they close
    execFileSync('umount', ['-l', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

/** Why a tmpfs cannot be mounted here (undefined: it can). */
export function mountRefusal() {
  if (process.getuid?.() !== 0) return 'not root: mount -t tmpfs needs it';
  const dir = mkdtempSync(join(tmpdir(), 'aa-chaos-mount-'));
  try {
    mount(dir, '64k');
    unmount(dir);
    return undefined;
  } catch (err) {
    return `mount -t tmpfs failed: ${String(err.stderr ?? err.message).trim().split('\n')[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a filler file in `dir` until the file system is full (ENOSPC). */
function fill(dir) {
  const fd = openSync(join(dir, 'chaos-filler'), 'a');
  try {
    for (const chunk of [Buffer.alloc(64 * 1024, 'f'), Buffer.alloc(512, 'f'), Buffer.alloc(1, 'f')]) {
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if (err.code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

export const fullLogDisk = {
  key: 'full-log-disk',
  title: `full log disk (${SIZE} tmpfs)`,
  budgetMs: 30_000,
  skipReason: mountRefusal,
  async trial(ctx, shared) {
    const { rng, book } = ctx;
    const server = await shared.server();
    const agent = await ctx.agent(server);
    const logDir = dirname(agent.files.logFile);
    mount(logDir, SIZE);
    ctx.defer(`tmpfs on ${logDir}`, async () => unmount(logDir));
    const fillFirst = rng.chance(0.3);
    if (fillFirst) fill(logDir);
    await agent.start();
    await agent.registered(server);
    if (!fillFirst) fill(logDir);
    process.kill(agent.pid, 'SIGUSR2');
    for (let i = rng.int(3, 5); i > 0; i--) {
      await book.submit(server, { seconds: rng.between(0.1, 1), exitCode: rng.chance(0.2) ? 1 : 0, outputBytes: rng.pick([0, 5000, 200_000]) });
    }
    await sleep(rng.between(200, 1500));
    process.kill(agent.pid, 'SIGUSR1');
    await server.api(`/api/v1/hosts/${encodeURIComponent(ctx.host)}/cut`, {});
    await ctx.judge(server, { agentDied: false });
    ctx.expectSame(agent, 'with its log disk full');
  },
};
