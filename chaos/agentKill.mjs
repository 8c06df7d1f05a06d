// SIGKILL of the agent at random moments: commands queued and running (one at a time), once or
// twice per trial, sometimes again before the restarted agent has registered; commands are
// also created while it is dead. The restarted agent must report every task: FAILED for those
// that were running or waiting when it died (it kills their leftover trees), the real result
// for the rest, none twice.
import { sleep } from './agents.mjs';
import { tokenProcesses } from './orphans.mjs';

export const agentKill = {
  key: 'agent-kill',
  title: 'agent SIGKILL, commands queued + running',
  budgetMs: 30_000,
  async trial(ctx, shared) {
    const { rng, book } = ctx;
    const server = await shared.server();
    const agent = await ctx.agent(server);
    await agent.start();
    await agent.registered(server);
    const randomTask = () => book.submit(server, { seconds: rng.between(0.2, 2.5), exitCode: rng.chance(0.2) ? 1 : 0 });
    for (let i = rng.int(3, 6); i > 0; i--) await randomTask();
    const kills = rng.int(1, 2);
    for (let k = 0; k < kills; k++) {
      await sleep(rng.between(0, 3000));
      if (!ctx.expectSame(agent, 'before its SIGKILL')) return;
      ctx.trace(`SIGKILL of agent ${agent.pid}; processes with the trial's token: ${tokenProcesses(ctx.token).map((p) => p.argv.split(' ').slice(0, 2).join(' ')).join(', ')}`);
      await agent.kill();
      if (rng.chance(0.5)) await randomTask(); // PENDING until an agent is back
      await sleep(rng.between(0, 1000));
      await agent.start();
      // Half the time the next kill may come while the new agent recovers or registers.
      if (k === kills - 1 || rng.chance(0.5)) await agent.registered(server);
      if (rng.chance(0.5)) await randomTask();
    }
    await ctx.judge(server, { agentDied: true });
  },
};
