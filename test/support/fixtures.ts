// Real protocol messages, kept in the repository (test/fixtures/, see its README for where
// each shape comes from and which Java class reads or writes it).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));

/** The raw text of a fixture file. */
export function fixtureText(name: string): string {
  const file = join(FIXTURES, name);
  if (!existsSync(file)) {
    throw new Error(`protocol fixture ${file} not found (test/fixtures/ holds them all)`);
  }
  return readFileSync(file, 'utf8');
}

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

/**
 * The order the original's TestAgentStompResponses sends the topology events in, after
 * topology_create.json; the result must equal topology_cache_expected.json.
 */
export const TOPOLOGY_EVENTS = [
  'topology_add_component.json',
  'topology_add_component_host.json',
  'topology_add_host.json',
  'topology_delete_host.json',
  'topology_delete_component.json',
  'topology_delete_component_host.json',
  'topology_delete_cluster.json',
] as const;

/** Alert definition events after alert_definitions_small.json; result: alert_definition_expected.json. */
export const ALERT_EVENTS = ['alert_definitions_add.json', 'alert_definitions_edit.json', 'alert_definitions_delete.json'] as const;
