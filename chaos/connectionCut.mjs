// The agent's WebSocket cut (no close handshake, as a network failure) at random moments while
// commands run and their reports go out, some with large outputs (so a final report is a
// frame of up to ~1 MB); now and then the next report SENDs are refused by the server instead,
// or the agent is frozen (SIGSTOP) for 2-25 s, long enough for the server to drop it as silent.
// Every result must arrive once, with the right status.
import { sleep } from './agents.mjs';

const REPORTS = '/reports/commands_status';

export const connectionCut = {
  key: 'connection-cut',
  title: 'connection cut mid-send (or agent frozen)',
  budgetMs: 35_000,
  async trial(ctx, shared) {
    const { rng, book } = ctx;
    const server = await shared.server();
    const agent = await ctx.agent(server);
    await agent.start();
    // Sometimes the first cuts come while the agent registers (subscribing, syncing its caches).
    if (rng.chance(0.3)) {
      for (let c = rng.int(1, 3); c > 0; c--) {
        await sleep(rng.between(0, 600));
        await server.api(`/api/v1/hosts/${encodeURIComponent(ctx.host)}/cut`, {});
      }
    }
    await agent.registered(server);
    for (let i = rng.int(3, 5); i > 0; i--) {
      await book.submit(server, { seconds: rng.between(0.1, 1.5), exitCode: rng.chance(0.2) ? 1 : 0, outputBytes: rng.pick([0, 0, 20_000, 400_000, 850_000]) });
    }
    const faults = rng.int(2, 6);
    for (let f = 0; f < faults; f++) {
      await sleep(rng.between(50, 1500));
      const hostPath = `/api/v1/hosts/${encodeURIComponent(ctx.host)}`;
      const kind = rng.pick(['cut', 'cut', 'cut', 'cut', 'cut', 'fail_next', 'fail_next', 'freeze']);
      ctx.trace(kind);
      if (kind === 'fail_next') await server.api(`${hostPath}/fail_next`, { destination: REPORTS, count: rng.int(1, 3) });
      else if (kind === 'cut') await server.api(`${hostPath}/cut`, {}); // 409 while it is reconnecting: fine
      else if (agent.isSame()) {
        // The agent frozen (SIGSTOP) while its scripts run on: past 20 s the server drops it as
        // silent; thawed, it must notice, reconnect and report what ended meanwhile.
        process.kill(agent.pid, 'SIGSTOP');
        try {
          await sleep(rng.between(2000, 25_000));
        } finally {
          process.kill(agent.pid, 'SIGCONT');
        }
      }
    }
    if (!ctx.expectSame(agent, 'after the cuts')) return;
    await ctx.judge(server, { agentDied: false });
  },
};
