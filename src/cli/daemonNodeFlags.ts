// The Node.js/V8 flags `start` runs the daemon with: `node FLAGS .../daemon/main.js ...`.
//
// --lite-mode keeps V8 to its interpreter: no compilers to machine code, and feedback vectors
// only for functions that run often. The idle agent holds about 10 MB less (compiled code and
// feedback in its heap, and the pages of the node binary that hold the compilers, never
// touched), and starts about 85 ms slower. Its commands are not measurably slower: their time
// goes to child processes, files and the server (ARCHITECTURE.md, "What the idle agent
// costs"). Lite mode has no WebAssembly, which the agent does not use (only fetch() would);
// --no-expose-wasm says so up front, or V8 would print a warning into the .out file. An
// operator who wants the compilers back sets AMBARI_AGENT_NODE_FLAGS= (empty) in
// ambari-env.sh. `simulate` does not use these flags: thousands of hosts in one process need
// the compilers.
import { ConfigError } from '../config/errors.js';

/** The variable (in the environment or ambari-env.sh) that replaces the default flags. */
export const NODE_FLAGS_ENV = 'AMBARI_AGENT_NODE_FLAGS';
export const DEFAULT_DAEMON_NODE_FLAGS: readonly string[] = ['--lite-mode', '--no-expose-wasm'];

/** One flag, with its value after '=' if it takes one: the daemon's script must stay the first non-flag argument. */
const FLAG = /^--[A-Za-z0-9][A-Za-z0-9_-]*(=\S+)?$/;

/** The flags for the daemon: the default, or AMBARI_AGENT_NODE_FLAGS's space-separated list. */
export function daemonNodeFlags(env: NodeJS.ProcessEnv): string[] {
  const text = env[NODE_FLAGS_ENV];
  if (text === undefined) return [...DEFAULT_DAEMON_NODE_FLAGS];
  const flags = text.split(/\s+/).filter(Boolean);
  const bad = flags.find((flag) => !FLAG.test(flag));
  if (bad !== undefined) throw new ConfigError(`${NODE_FLAGS_ENV}: "${bad}" is not a Node.js flag of the form --name or --name=value`);
  return flags;
}
