// SIGKILL of the agent at random moments: commands queued and running (one at a time, or all
// at once with parallel_execution=1), once to three times per trial. Where the kill falls:
// anywhere in the next 3 s, within 100 ms of a new command's delivery (between taking it and
// noting it on disk), or while the restarted agent is still recovering or registering.
// Now and then instead: `ambari-agent stop`, SIGTERM then SIGKILL while it stops, or a restart
// the server asks for (RESTART_AGENT, a heartbeat answer out of sequence: exit 77, the wrapper
// starts the next agent). Commands are also created while it is dead. The restarted agent must report every task:
// FAILED for those that were running or waiting when it died (it kills their leftover trees),
// the real result for the rest, none twice.
import { RESTART_QUIET_MS } from '../dist/actors/local/restartRecord.js';
import { sleep } from './agents.mjs';
import { tokenProcesses } from './orphans.mjs';

export const agentKill = {
  key: 'agent-kill',
  title: 'agent SIGKILL (or stop, restart), commands queued + running',
  budgetMs: 30_000,
  async trial(ctx, shared) {
    const { rng, book } = ctx;
    const server = await shared.server();
    const parallel = rng.chance(0.3);
    const agent = await ctx.agent(server, parallel ? ['agent.parallel_execution=1'] : []);
    await agent.start();
    await agent.registered(server);
    const randomTask = () => book.submit(server, { seconds: rng.between(0.2, 2.5), exitCode: rng.chance(0.2) ? 1 : 0 });
    for (let i = rng.int(2, 5); i > 0; i--) await randomTask();
    // Often a long one too, with a child in a session of its own: still running when the agent
    // dies, so the next agent must find and kill its tree (else: orphans).
    if (rng.chance(0.6)) await book.submit(server, { seconds: rng.between(6, 15), detached: true });
    const kills = rng.int(1, 3);
    let registered = true;
    for (let k = 0; k < kills; k++) {
      const moment = registered ? rng.pick(['any', 'any', 'delivery']) : 'starting';
      if (moment === 'delivery') {
        await randomTask();
        await sleep(rng.between(0, 100));
      } else await sleep(rng.between(0, moment === 'starting' ? 800 : 3000));
      if (!ctx.expectSame(agent, 'before its SIGKILL')) return;
      // Now and then a clean stop instead: it must cancel everything and leave nothing running.
      const how = registered ? rng.pick(['SIGKILL', 'SIGKILL', 'SIGKILL', 'SIGKILL', 'stop', 'SIGTERM+SIGKILL', 'RESTART_AGENT', 'heartbeat id']) : 'SIGKILL';
      ctx.trace(`${how} (${moment}${parallel ? ', parallel' : ''}) of agent ${agent.pid}; processes with the trial's token: ${tokenProcesses(ctx.token).map((p) => p.argv.split(' ').slice(0, 2).join(' ')).join(', ')}`);
      if (how === 'RESTART_AGENT' || how === 'heartbeat id') {
        // A restart the server asks for: the agent stops its commands and exits 77, its
        // wrapper starts the next one.
        const hostPath = `/api/v1/hosts/${encodeURIComponent(ctx.host)}`;
        // A new agent takes a RESTART_AGENT within RESTART_QUIET_MS of its restart as the one
        // it came from (README): past that window only, it restarts again.
        if (how === 'RESTART_AGENT') await sleep(Math.max(0, agent.restartedAt + RESTART_QUIET_MS + 500 - Date.now()));
        const { status } = how === 'RESTART_AGENT' ? await server.api(`${hostPath}/actions`, { action: 'RESTART_AGENT' }) : await server.api(`${hostPath}/faults`, { wrong_heartbeat_id: true });
        if (status !== 200) throw new Error(`${how} answered ${status}`);
        await agent.restarted();
        registered = false;
        if (rng.chance(0.5)) {
          await agent.registered(server);
          registered = true;
        }
        continue;
      }
      if (how === 'SIGKILL') await agent.kill();
      else if (how === 'SIGTERM+SIGKILL') {
        // Killed while it stops (cancelling its commands, storing their reports).
        process.kill(agent.pid, 'SIGTERM');
        await sleep(rng.between(0, 1500));
        if (agent.isSame()) await agent.kill();
        else await agent.stop();
      } else {
        const code = await agent.stop();
        if (code !== 0) ctx.crash(`ambari-agent stop exited ${code}`);
        ctx.orphansNow('after ambari-agent stop');
      }
      if (rng.chance(0.5)) await randomTask(); // PENDING until an agent is back
      await sleep(rng.between(0, 1000));
      await agent.start();
      // Half the time the next kill comes while the new agent recovers or registers.
      registered = k === kills - 1 || rng.chance(0.5);
      if (registered) await agent.registered(server);
      if (registered && rng.chance(0.5)) await randomTask();
    }
    await ctx.judge(server, { agentDied: true });
  },
};
