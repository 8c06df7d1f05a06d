// `ambari-agent simulate`: many simulated hosts in this process (src/simulator/).
import type { CliArgs } from '../args.js';
import { complain, EXIT } from '../context.js';
import { runSimulation, SimulateError } from '../../simulator/runSimulation.js';
import { simulateOptions } from '../../simulator/simulateOptions.js';

export async function simulate(args: CliArgs): Promise<number> {
  const options = simulateOptions(args.options);
  try {
    return await runSimulation(args.home, options, { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text), tty: process.stderr.isTTY === true });
  } catch (err) {
    if (!(err instanceof SimulateError)) throw err;
    complain(`ambari-agent simulate: ${err.message}`);
    return EXIT.ERROR;
  }
}
