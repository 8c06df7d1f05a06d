// `ambari-agent machines [MACHINE ...] [--format mermaid|json]`: the agent's state machines as
// the code defines them, as mermaid diagrams (default) or as one JSON document with each
// machine's graph and its XState config (importable into Stately's editor). Reads no config.
import type { CliArgs } from '../args.js';
import { UsageError } from '../usageError.js';
import { EXIT, say } from '../context.js';

export const MACHINE_FORMATS = ['mermaid', 'json'] as const;
export type MachineFormat = (typeof MACHINE_FORMATS)[number];

export function machineFormat(format: string | undefined): MachineFormat {
  if (format === undefined) return 'mermaid';
  if ((MACHINE_FORMATS as readonly string[]).includes(format)) return format as MachineFormat;
  throw new UsageError(`--format must be one of ${MACHINE_FORMATS.join(', ')}, not '${format}'`, false);
}

/** The machines' ids, for completion (the machines are loaded only for this command). */
export async function machineIds(): Promise<string[]> {
  const { AGENT_MACHINES } = await import('../../introspection/machineGraph.js');
  return AGENT_MACHINES.map((machine) => machine.id);
}

export async function machines(args: CliArgs): Promise<number> {
  const format = machineFormat(args.format);
  const { AGENT_MACHINES, machineGraph, statelyConfig, toMermaid } = await import('../../introspection/machineGraph.js');
  const known = AGENT_MACHINES.map((machine) => machine.id);
  const unknown = args.positionals.filter((id) => !known.includes(id));
  if (unknown.length > 0) throw new UsageError(`no machine '${unknown[0]}' (machines: ${known.join(', ')})`, false);
  const chosen = args.positionals.length === 0 ? AGENT_MACHINES : AGENT_MACHINES.filter((machine) => args.positionals.includes(machine.id));
  if (format === 'json') {
    say(JSON.stringify({ machines: chosen.map((machine) => ({ id: machine.id, graph: machineGraph(machine), config: statelyConfig(machine) })) }, null, 2));
  } else {
    say(chosen.map((machine) => `%% machine: ${machine.id}\n${toMermaid(machineGraph(machine))}`).join('\n').trimEnd());
  }
  return EXIT.OK;
}
