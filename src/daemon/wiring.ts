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
import { createRegistrationBody } from '../actors/registrationBody.js';
import { linkActors, type LinkSettings } from '../actors/serverLink.js';
import { AgentCaches, SYNC_ORDER } from '../caches/index.js';
import { confDir } from '../config/loadConfig.js';
import { readEnvFile, resolvePassphrase } from '../config/envFile.js';
import { heartbeatMachine } from '../machines/heartbeat.js';
import { registrationMachine } from '../machines/registration.js';
import { sessionMachine } from '../machines/session.js';
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
    syncSteps: SYNC_ORDER.map((step) => step.cache),
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

/** What this agent knows about itself once preflight has run (the hostname is cached, as the original). */
interface Identity {
  hostname?: string;
}

export function daemonMachine(options: DaemonOptions) {
  const { config, paths, log } = options;
  const { agent, security, server } = config.ini;
  const logActionImpl = logAction(log);
  const identity: Identity = {};
  const startedAt = Date.now();
  const { caches, warnings } = AgentCaches.load(agent.cache_dir);
  for (const warning of warnings) log('caches', 'warn', warning);
  const passphraseVar = security.passphrase_env_var_name;

  const link: LinkSettings = {
    urlPort: server.url_port,
    securedUrlPort: server.secured_url_port,
    verifyCert: security.ssl_verify_cert !== 0,
    keysdir: security.keysdir,
    serverCrt: security.server_crt,
    passphrase: resolvePassphrase(passphraseVar, process.env, readEnvFile(confDir(config))),
    hostname: () => identity.hostname ?? 'localhost',
    caches,
    log,
    registrationBody: createRegistrationBody({ agent, hostname: () => identity.hostname, startedAt }),
  };
  const protocol = linkActors(link);
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
            onHostname: (hostname) => (identity.hostname = hostname),
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
      session: sessionMachine.provide({
        actions: { log: logActionImpl },
        actors: {
          connect: protocol.connect,
          listen: protocol.listen,
          disconnect: protocol.disconnect,
          registration: registrationMachine.provide({
            actions: { log: logActionImpl },
            actors: { subscribe: protocol.subscribe, register: protocol.register, sync: protocol.sync },
          }),
          heartbeat: heartbeatMachine.provide({ actions: { log: logActionImpl }, actors: { beat: protocol.beat } }),
        },
      }),
      controlChannel: createControlChannel(paths.controlSocket),
      shutdown: fromPromise(async ({ input }) => {
        if (removePidFileIfOwned(input.pidFile, process.pid)) log('supervisor', 'info', `Removed pid file ${input.pidFile}`);
      }),
    },
  });
}
