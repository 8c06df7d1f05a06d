// The dev server killed (SIGKILL or SIGTERM, at random) while commands run and report, and
// started again on the same ports and data dir after a random pause, once or twice per trial.
// The agent must reconnect on its own, keep its commands running, and deliver every result
// (the server keeps its tasks in tasks.json); it must not die or restart.
import { sleep } from './agents.mjs';
import { chaosDevServer } from './trial.mjs';

export const serverRestart = {
  key: 'server-restart',
  title: 'dev server killed and restarted',
  budgetMs: 30_000,
  async trial(ctx) {
    const { rng, book } = ctx;
    const dataDir = `${ctx.dir}/server-data`;
    let server = await chaosDevServer({ dataDir });
    ctx.defer('the dev server', () => server.close());
    const agent = await ctx.agent(server);
    await agent.start();
    await agent.registered(server);
    const ports = { urlPort: server.urlPort, securedUrlPort: server.securedUrlPort, apiPort: server.apiPort };
    const randomTask = () => book.submit(server, { seconds: rng.between(0.2, 2), exitCode: rng.chance(0.2) ? 1 : 0 });
    for (let i = rng.int(3, 5); i > 0; i--) await randomTask();
    const restarts = rng.int(1, 2);
    for (let r = 0; r < restarts; r++) {
      await sleep(rng.between(0, 2500));
      await server.down(rng.chance(0.5) ? 'SIGKILL' : 'SIGTERM');
      await sleep(rng.between(0, 3000));
      if (!ctx.expectSame(agent, 'while the dev server was down')) return;
      server = await chaosDevServer({ dataDir, ...ports });
      // A restarted server knows the host again once it registers (hosts are not kept).
      if (rng.chance(0.5)) {
        await agent.registered(server);
        await randomTask();
      } else if (r < restarts - 1) {
        // The next kill may come while the agent registers again.
        await sleep(rng.between(500, 1500));
      }
    }
    await ctx.judge(server, { agentDied: false });
  },
};
