// Gives the pure machines their real effects: every injected actor and the `log` action.
// Tests build the same machines with fakes; this file is the only place the two differ.
import { fromPromise, type AnyActorRef } from 'xstate';
import type { LoadedConfig } from '../config/loadConfig.js';
import type { AgentPaths } from '../config/paths.js';
import { join } from 'node:path';
import { createControlChannel } from '../actors/controlChannel.js';
import { createCleanPass } from '../actors/dataCleaner.js';
import { removePidFileIfOwned, writePidFileAtomic } from '../actors/pidFile.js';
import { pingPortListener } from '../actors/pingPortListener.js';
import { createRunCheck } from '../actors/preflightChecks.js';
import { createServerProbe } from '../actors/serverProbe.js';
import type { LogFn } from '../logging/logger.js';
import { dataCleanerMachine } from '../machines/dataCleaner.js';
import { daemonizeMachine } from '../machines/daemonize.js';
import { discoveryMachine, serverList } from '../machines/discovery.js';
import type { LogParams } from '../machines/logParams.js';
import { pingPortMachine } from '../machines/pingPort.js';
import { preflightMachine } from '../machines/preflight.js';
import { supervisorMachine, type SupervisorInput } from '../machines/supervisor.js';

export interface DaemonOptions {
  config: LoadedConfig;
  paths: AgentPaths;
  log: LogFn;
  expectedHostname?: string;
}

/** The `log` action every machine declares, writing through the agent logger as that actor. */
export function logAction(log: LogFn) {
  return ({ self }: { self: AnyActorRef }, params: LogParams) => log(self.id, params.level, params.msg);
}

export function supervisorInput({ config, paths }: DaemonOptions): SupervisorInput {
  const { agent, server } = config.ini;
  return {
    pidFile: paths.pidFile,
    pingPort: agent.ping_port,
    servers: serverList(server.hostname),
    urlPort: server.url_port,
    retryDelaySeconds: server.connect_retry_delay,
    cleaner:
      agent.data_cleanup_interval > 0
        ? {
            dir: agent.prefix,
            intervalSeconds: agent.data_cleanup_interval,
            maxAgeSeconds: agent.data_cleanup_max_age,
            maxSizeBytes: agent.data_cleanup_max_size_MB * 1_000_000,
          }
        : undefined,
  };
}

export function daemonMachine(options: DaemonOptions) {
  const { config, paths, log } = options;
  const { agent, security } = config.ini;
  const logActionImpl = logAction(log);
  return supervisorMachine.provide({
    actions: { log: logActionImpl },
    actors: {
      preflight: preflightMachine.provide({
        actions: { log: logActionImpl },
        actors: {
          runCheck: createRunCheck({
            expectedHostname: options.expectedHostname,
            hostnameScript: agent.hostname_script,
            pidFile: paths.pidFile,
            prefixDir: agent.prefix,
            logDir: agent.logdir,
            pidDir: agent.piddir,
            log,
          }),
        },
      }),
      dataCleaner: dataCleanerMachine.provide({ actions: { log: logActionImpl }, actors: { cleanPass: createCleanPass(log) } }),
      pingPort: pingPortMachine.provide({ actions: { log: logActionImpl }, actors: { listener: pingPortListener } }),
      daemonize: daemonizeMachine.provide({
        actors: {
          writePidFile: fromPromise(async ({ input }) => {
            writePidFileAtomic(input.pidFile, process.pid);
            return process.pid;
          }),
        },
      }),
      discovery: discoveryMachine.provide({
        actions: { log: logActionImpl },
        actors: {
          probe: createServerProbe({ verifyCert: security.ssl_verify_cert !== 0, caFile: join(security.keysdir, security.server_crt), log }),
        },
      }),
      controlChannel: createControlChannel(paths.controlSocket),
      shutdown: fromPromise(async ({ input }) => {
        if (removePidFileIfOwned(input.pidFile, process.pid)) log('supervisor', 'info', `Removed pid file ${input.pidFile}`);
      }),
    },
  });
}
