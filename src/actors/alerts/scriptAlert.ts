// The SCRIPT kind (alerts/script_alert.py): a Python alert script from the server's stack or
// host scripts, run in its own interpreter by scriptAlertDriver.ts. The outcome's args are the
// script's texts, and its text template is '{0}' for every state (SCRIPT_REPORTING).
//
// Where the script is: source.path as it is when it is an existing absolute path, else under
// cache_dir/stacks, cache_dir/common-services, cache_dir/host_scripts, cache_dir/extensions,
// the first that has it (the original's order). As in the original, checks download nothing:
// those folders are brought up to date by the commands that use them (scriptLocation.ts
// refreshes host_scripts and the service's package folder before every command).
//
// Timeout: the original has none (a hung script holds its scheduler job, and one of the
// scheduler's three threads, for ever). Here a run ends after the definition's interval (a
// later run could not start before it anyway) and at most DEFAULT_MAX_TIMEOUT_MS: scripts'
// own command timeouts (check.command.timeout 60 s, connection.timeout 5 s, kinit) fit well
// inside it.
import { access, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { HOST_SCRIPTS_DIR } from '../commands/scriptLocation.js';
import type { ScriptEnvironment } from '../commands/scriptEnvironment.js';
import { ALERT_STATES, type AlertDefinition, type AlertKind, type AlertOutcome, type AlertReporting, type AlertState } from './alertTypes.js';
import { runScriptDriver, type DriverRun } from './scriptAlertRun.js';
import { intervalMinutes } from '../../machines/alert.js';

/** The cache folders searched for a script, in the original's order (AmbariConfig's *_dir). */
export const SCRIPT_SEARCH_FOLDERS = ['stacks', 'common-services', HOST_SCRIPTS_DIR, 'extensions'] as const;
/** curl_krb_request.KERBEROS_KINIT_TIMER_PARAMETER: every script gets it ([agent] alert_kinit_timeout). */
export const KERBEROS_KINIT_TIMER_PARAMETER = 'kerberos.kinit.timer';
export const DEFAULT_MAX_TIMEOUT_MS = 300_000;

/** script_alert.py replaces the definition's reporting with this: the script's text is the text. */
export const SCRIPT_REPORTING: AlertReporting = {
  ok: { text: '{0}' },
  warning: { text: '{0}' },
  critical: { text: '{0}' },
  unknown: { text: '{0}' },
};

export interface ScriptAlertSettings {
  /** The command scripts' interpreter and environment (PYTHONPATH reaching resource_management). */
  environment: ScriptEnvironment;
  /** Where scripts are looked for, in order: scriptSearchDirs([agent] cache_dir). */
  searchDirs: string[];
  /** [agent] alert_kinit_timeout (ms). */
  kinitTimeoutMs: number;
  /** Longest run of one script (default DEFAULT_MAX_TIMEOUT_MS); shorter when the interval is. */
  maxTimeoutMs?: number;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}

export function scriptSearchDirs(cacheDir: string): string[] {
  return SCRIPT_SEARCH_FOLDERS.map((folder) => join(cacheDir, folder));
}

/** The definition's reporting as the original uses it for SCRIPT: its skipped text only. */
export function scriptReporting(reporting: AlertReporting | undefined): AlertReporting {
  return { ...(reporting?.skipped ? { skipped: reporting.skipped } : {}), ...SCRIPT_REPORTING };
}

/** source.parameters as {name: value} (entries without both are skipped), plus the kinit timer. */
export function scriptParameters(definition: AlertDefinition, kinitTimeoutMs: number): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const parameter of definition.source.parameters ?? []) {
    if (typeof parameter !== 'object' || parameter === null || !('name' in parameter) || !('value' in parameter)) continue;
    parameters[String(parameter.name)] = parameter.value;
  }
  parameters[KERBEROS_KINIT_TIMER_PARAMETER] = kinitTimeoutMs;
  return parameters;
}

/** The interval (minutes, below 1 counts as 1) as ms, at most maxMs. */
export function scriptTimeoutMs(definition: AlertDefinition, maxMs = DEFAULT_MAX_TIMEOUT_MS): number {
  return Math.min(intervalMinutes(definition) * 60_000, maxMs);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The script's file, or the original's message when there is none. */
export async function locateAlertScript(path: string, searchDirs: string[]): Promise<{ file: string } | { missing: string }> {
  let candidate: string | undefined = isAbsolute(path) && (await exists(path)) ? path : undefined;
  for (const dir of searchDirs) {
    if (candidate !== undefined) break;
    const inDir = join(dir, path);
    if (await exists(inDir)) candidate = inDir;
  }
  const isFile = candidate !== undefined && (await stat(candidate).then((s) => s.isFile(), () => false));
  if (candidate !== undefined && isFile) return { file: candidate };
  const dirs = searchDirs.length > 1 ? `${searchDirs.slice(0, -1).join(', ')} or ${searchDirs[searchDirs.length - 1]}` : (searchDirs[0] ?? '(no folder)');
  return { missing: `Unable to find '${path}' as an absolute path or part of ${dirs}` };
}

const unknown = (text: string): AlertOutcome => ({ state: 'UNKNOWN', args: [text] });
const isState = (state: string): state is AlertState => (ALERT_STATES as readonly string[]).includes(state);

function outcomeOf(run: DriverRun, path: string, timeoutMs: number, reason: unknown): AlertOutcome {
  switch (run.kind) {
    case 'notStarted':
      return unknown(run.message);
    case 'timedOut':
      return unknown(`Script ${path} timed out after ${Math.round(timeoutMs / 1000)} s`);
    case 'cancelled':
      return unknown(`Script ${path} was cancelled${reason instanceof Error ? `: ${reason.message}` : ''}`);
    case 'noReply': {
      const end = run.exitCode !== null ? `exit code ${run.exitCode}` : `signal ${run.signal ?? '?'}`;
      const stderr = run.stderr.trim();
      return unknown(`Script ${path} ended (${end}) without a result${stderr ? `: ${stderr}` : ''}`);
    }
    case 'replied': {
      const { reply } = run;
      if ('error' in reply) return unknown(reply.error);
      if (isState(reply.state)) return { state: reply.state, args: reply.texts };
      const said = reply.texts.length > 0 ? `: ${reply.texts[0]}` : '';
      return unknown(`Script ${path} returned the state ${JSON.stringify(reply.state)}, which is not one of ${ALERT_STATES.join(', ')}${said}`);
    }
  }
}

export function scriptAlertKind(settings: ScriptAlertSettings): AlertKind {
  const log = settings.log ?? (() => {});
  return {
    defaultText: () => '{0}',
    reporting: scriptReporting,
    async check(definition, context) {
      const path = definition.source.path;
      if (typeof path !== 'string' || path === '') return unknown("The attribute 'path' must be specified");
      const found = await locateAlertScript(path, settings.searchDirs);
      if ('missing' in found) return unknown(found.missing);
      if (!found.file.endsWith('.py')) {
        log('error', `[Alert][${definition.name}] Unable to execute script ${found.file}`);
        return unknown(`Unable to execute script ${path}`);
      }
      const timeoutMs = scriptTimeoutMs(definition, settings.maxTimeoutMs);
      log('debug', `[Alert][${definition.name}] Executing script check ${found.file}`);
      const run = await runScriptDriver({
        request: {
          path: found.file,
          moduleName: definition.name,
          configurations: context.configurations,
          parameters: scriptParameters(definition, settings.kinitTimeoutMs),
          hostName: context.hostName,
          tmpDir: settings.environment.tmpDir,
        },
        environment: settings.environment,
        cwd: dirname(found.file),
        timeoutMs,
        signal: context.signal,
        runName: `alert-${definition.definitionId}`,
      });
      const outcome = outcomeOf(run, path, timeoutMs, context.signal.reason);
      if (run.kind !== 'notStarted' && (run.stdout.trim() !== '' || run.stderr.trim() !== '')) {
        log('debug', `[Alert][${definition.name}] Script output: ${run.stdout.trim()}${run.stderr.trim() ? `\nstderr: ${run.stderr.trim()}` : ''}`);
      }
      if (run.kind === 'replied' && 'error' in run.reply) {
        log('error', `[Alert][${definition.name}] Unable to execute alert. ${run.reply.error}${run.reply.traceback ? `\n${run.reply.traceback}` : ''}`);
      } else if (outcome.state === 'CRITICAL') {
        log('error', `[Alert][${definition.name}] Failed with result CRITICAL: ${JSON.stringify(outcome.args)}`);
      }
      return outcome;
    },
  };
}
