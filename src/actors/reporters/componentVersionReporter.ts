// The component version report after registration (the original's ComponentVersionReporter):
// GET_VERSION for each component on this host, one at a time, then one
// /reports/component_version with every version found. Entries carry clusterId too, as the
// original's do. Nothing here rejects: a missing version report must not break the session.
import { fromPromise } from 'xstate';
import { getOwn } from '../../caches/json.js';
import type { LogFn } from '../../logging/logger.js';
import { acknowledged, componentsFromCaches, groupByCluster, statusRunOf, type CacheReader, type HostComponent, type RunStatusFn, type SendFn } from '../host/hostComponents.js';
import { errorMessage } from '../../util/errorMessage.js';

export const COMPONENT_VERSION_DESTINATION = '/reports/component_version';
const ACTOR = 'componentVersion';

export interface ComponentVersionEntry {
  serviceName: string;
  componentName: string;
  version: string;
  clusterId: string;
}

export interface ComponentVersionReporterOptions {
  caches: CacheReader;
  hostname: () => string;
  runStatus: RunStatusFn;
  send: SendFn;
  log: LogFn;
  defaultTimeoutSeconds: number;
}

export function createComponentVersionReporter(options: ComponentVersionReporterOptions) {
  const { caches, hostname, runStatus, send, log } = options;

  /** GET_VERSION's structuredOut.version (only from a successful run, as the original), else the topology's. */
  const versionOf = async (component: HostComponent, signal: AbortSignal): Promise<string | undefined> => {
    const { componentName, serviceName, clusterId } = component;
    try {
      const result = await runStatus(statusRunOf(component, 'GET_VERSION', signal));
      const reported = result.exitCode === 0 ? getOwn(result.structuredOut, 'version') : undefined;
      if (typeof reported === 'string' && reported !== '') return reported;
      log(ACTOR, 'debug', `GET_VERSION for ${componentName} (${serviceName}, cluster ${clusterId}) gave no version (exit code ${result.exitCode})`);
    } catch (err) {
      if (!signal.aborted) log(ACTOR, 'warn', `Cannot run GET_VERSION for ${componentName} (${serviceName}, cluster ${clusterId}): ${errorMessage(err)}`);
    }
    return component.version;
  };

  return fromPromise<number, { link: unknown }>(async ({ input, signal }) => {
    const entries: ComponentVersionEntry[] = [];
    try {
      for (const component of componentsFromCaches(caches, hostname(), options.defaultTimeoutSeconds)) {
        if (signal.aborted) return 0;
        const version = await versionOf(component, signal);
        const { serviceName, componentName, clusterId } = component;
        if (version === undefined) log(ACTOR, 'info', `No version for ${componentName} (${serviceName}, cluster ${clusterId}); not reported`);
        else entries.push({ serviceName, componentName, version, clusterId });
      }
    } catch (err) {
      log(ACTOR, 'warn', `Cannot gather component versions: ${errorMessage(err)}`);
      return 0;
    }
    // Stopped (the session left `registered`): nothing goes out on that link any more.
    if (signal.aborted || entries.length === 0) return 0;
    try {
      const answer = await send(input.link, COMPONENT_VERSION_DESTINATION, { clusters: groupByCluster(entries) });
      if (!acknowledged(answer)) throw new Error(`the server answered ${JSON.stringify(answer).slice(0, 200)}`);
    } catch (err) {
      if (!signal.aborted) log(ACTOR, 'warn', `Cannot send ${entries.length} component versions: ${errorMessage(err)}`);
      return 0;
    }
    log(ACTOR, 'info', `Reported ${entries.length} component versions`);
    return entries.length;
  });
}
