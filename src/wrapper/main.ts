// The wrapper process: the parent `ambari-agent start` leaves running. It restarts the agent
// process on exit code 77 and exits with the agent's code otherwise.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/loadConfig.js';
import { agentPaths } from '../config/paths.js';
import { runWrapper } from './restartLoop.js';

const AGENT_MAIN = fileURLToPath(new URL('../daemon/main.js', import.meta.url));

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({ args: argv, options: { home: { type: 'string', default: '' } }, strict: false });
  let pidFile: string;
  try {
    pidFile = agentPaths(loadConfig(String(values.home ?? '')).ini).pidFile;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`ERROR: ${err.message}\n`);
    process.exit(1);
  }
  const code = await runWrapper({
    command: process.execPath,
    args: [AGENT_MAIN, ...argv],
    pidFile,
    onRestart: (restarts) => process.stderr.write(`${new Date().toISOString()} ambari-agent exited with code 77, restarting (restart ${restarts})\n`),
  });
  process.exit(code);
}

void main();
