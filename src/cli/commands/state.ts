// `ambari-agent state [--json] [--watch]`: the running agent's actor tree, asked over its local
// control channel (never the network): each actor's state, how long it has been in it, and
// what matters for it. --watch redraws on every transition until Ctrl-C (or the agent stops).
import { createInterface } from 'node:readline';
import { formatStateReport, type StateReport, type StateReportNode } from '../../introspection/stateReport.js';
import { askAgent, connectControl } from '../controlClient.js';
import { runningAgent } from '../runningAgent.js';
import { complain, EXIT, say, type CommandContext } from '../context.js';

export interface StateOptions {
  json: boolean;
  watch: boolean;
}

export async function state(ctx: CommandContext, options: StateOptions): Promise<number> {
  const { paths } = ctx;
  // The same words and codes as `status`.
  const running = runningAgent(paths);
  if ('exitCode' in running) return running.exitCode;
  const { pid } = running;
  if (options.watch) return watch(paths.controlSocket, options.json);
  let report: StateReport;
  try {
    report = await askAgent<StateReport>(paths.controlSocket, { cmd: 'state' });
  } catch (err) {
    complain(`ERROR: cannot ask the agent (pid ${pid}) on ${paths.controlSocket}: ${(err as Error).message}`);
    return EXIT.ERROR;
  }
  say(options.json ? JSON.stringify(report, null, 2) : formatStateReport(report));
  return EXIT.OK;
}

/** Durations grow while nothing changes: recomputed from `since` against this clock. */
function refreshed(report: StateReport, now: number): StateReport {
  const walk = (node: StateReportNode): StateReportNode => ({
    ...node,
    ...(node.since !== undefined ? { inStateMs: Math.max(0, now - node.since) } : {}),
    children: node.children.map(walk),
  });
  return { ...report, at: now, root: walk(report.root) };
}

function watch(socketPath: string, json: boolean): Promise<number> {
  return new Promise((resolve) => {
    const socket = connectControl(socketPath);
    const tty = process.stdout.isTTY === true && !json;
    let latest: StateReport | undefined;
    let ticker: NodeJS.Timeout | undefined;
    const draw = (): void => {
      if (!latest) return;
      if (json) {
        say(JSON.stringify(latest));
        return;
      }
      const text = formatStateReport(refreshed(latest, Date.now()));
      // A terminal is redrawn in place; a pipe gets one block per change.
      if (tty) {
        process.stdout.write(`\x1b[H\x1b[2J${new Date().toISOString()}  (Ctrl-C to stop)\n\n${text}\n`);
      } else {
        say(`--- ${new Date().toISOString()}\n${text}`);
      }
    };
    const finish = (code: number) => {
      clearInterval(ticker);
      process.off('SIGINT', onInt);
      socket.destroy();
      resolve(code);
    };
    const onInt = () => finish(EXIT.OK);
    process.on('SIGINT', onInt);
    socket.on('connect', () => socket.write(`${JSON.stringify({ cmd: 'watch' })}\n`));
    socket.on('error', (err) => {
      complain(`ERROR: cannot watch the agent on ${socketPath}: ${err.message}`);
      finish(EXIT.ERROR);
    });
    createInterface({ input: socket }).on('line', (line) => {
      try {
        latest = JSON.parse(line) as StateReport;
      } catch {
        return;
      }
      draw();
    });
    socket.on('end', () => {
      if (!json) say('ambari-agent stopped');
      finish(EXIT.OK);
    });
    if (tty) ticker = setInterval(draw, 1000);
  });
}
