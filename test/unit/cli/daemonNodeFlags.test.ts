// The Node flags `start` gives the daemon: the default, and AMBARI_AGENT_NODE_FLAGS.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { DEFAULT_DAEMON_NODE_FLAGS, NODE_FLAGS_ENV, daemonNodeFlags } from '../../../src/cli/daemonNodeFlags.js';

describe('daemonNodeFlags', () => {
  it('is lite mode without WebAssembly unless the environment says otherwise', () => {
    expect(daemonNodeFlags({})).toEqual(['--lite-mode', '--no-expose-wasm']);
    expect(daemonNodeFlags({})).toEqual([...DEFAULT_DAEMON_NODE_FLAGS]);
  });

  it('takes AMBARI_AGENT_NODE_FLAGS: a space-separated list, or empty for none', () => {
    expect(daemonNodeFlags({ [NODE_FLAGS_ENV]: '' })).toEqual([]);
    expect(daemonNodeFlags({ [NODE_FLAGS_ENV]: '  --max-old-space-size=256   --jitless ' })).toEqual(['--max-old-space-size=256', '--jitless']);
  });

  it('refuses what is not a --flag or --flag=value, naming it (the script must stay the first non-flag argument)', () => {
    for (const bad of ['--max-old-space-size 256', '-e', 'lite-mode', '--']) {
      expect(() => daemonNodeFlags({ [NODE_FLAGS_ENV]: bad })).toThrow(ConfigError);
    }
    expect(() => daemonNodeFlags({ [NODE_FLAGS_ENV]: '--lite-mode 256' })).toThrow('AMBARI_AGENT_NODE_FLAGS: "256" is not a Node.js flag of the form --name or --name=value');
  });
});
