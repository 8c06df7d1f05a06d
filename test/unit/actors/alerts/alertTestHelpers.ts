// Shared by the alert kind tests: a definition and a check context for 127.0.0.1.
import type { AlertCheckContext, AlertDefinition, AlertSource } from '../../../../src/actors/alerts/alertTypes.js';

export function definition(source: AlertSource, name = 'test_alert'): AlertDefinition {
  return { definitionId: 7, clusterId: 2, name, uuid: 'u-1', interval: 1, enabled: true, source };
}

export function context(configurations: Record<string, unknown> = {}, signal = new AbortController().signal): AlertCheckContext {
  return { hostName: '127.0.0.1', publicHostName: '127.0.0.1', clusterId: '2', configurations: { configurations }, signal };
}
