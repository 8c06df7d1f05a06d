import { readFileSync } from 'node:fs';

/** The agent's version: package.json's, read once (dist/ sits beside package.json). */
export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * The Ambari release this agent speaks to by default: `init` writes it to `prefix/version`
 * (the file the original reads in Utils.read_agent_version) and the dev server checks
 * registrations against it, as HeartBeatHandler.handleRegistration checks agentVersion
 * against the server's own version.
 */
export const DEFAULT_AMBARI_VERSION = '2.8.0.0';
