// Where a command's scripts are (CustomServiceOrchestrator.runCommand with FileCache's
// get_*_base_dir), every folder first brought up to date from the server's resources:
//
//   ACTIONEXECUTE     cache_dir/custom_actions/scripts/SCRIPT, base dir cache_dir/custom_actions
//   anything else     cache_dir/FOLDER/SCRIPT, base dir cache_dir/FOLDER, where FOLDER is
//                     commandParams.service_package_folder (the command's own or the topology
//                     component's) or else serviceLevelParams.service_package_folder (metadata);
//                     cache_dir/host_scripts is refreshed first, as the original does
//   hooks             clusterLevelParams.hooks_folder (commandHooks.ts), not for status commands
//
// SCRIPT is commandParams.script. A missing script fails the command with its path and the
// keys it was made of. An absolute SCRIPT is taken as is (os.path.join's rule), which lets
// the dev server's tests run scripts from anywhere.
import { isAbsolute, join, resolve } from 'node:path';
import { getOwn, ownObject, ownString, type JsonObject } from '../../caches/json.js';
import { isFile, resolveHooks, type ScriptStep } from './commandHooks.js';

/** What brings a cache folder up to date (fileCache.ts FileCache). */
export interface DirectoryProvider {
  provide(subdir: string, serverUrlPrefix: string): Promise<string>;
  /** Why the last update of this dir failed (and was tolerated), if it did. */
  failure?(dir: string): string | undefined;
}

export const CUSTOM_ACTIONS_DIR = 'custom_actions';
export const HOST_SCRIPTS_DIR = 'host_scripts';

export interface ScriptPlan {
  /** Before-hooks, the command's script, after-hooks. */
  scripts: ScriptStep[];
  /** The command's own script (also in `scripts`). */
  main: ScriptStep;
}

const object = ownObject;
/** A non-empty own string. */
const text = (obj: unknown, key: string): string | undefined => {
  const value = ownString(obj, key);
  return value === '' ? undefined : value;
};

/** FileCache.get_server_url_prefix: the server's resources URL. */
export function resourcesUrl(command: JsonObject): string {
  return text(object(command, 'ambariLevelParams'), 'jdk_location') ?? '';
}

/** A relative path inside the cache dir: no absolute path, no `..` (it comes from the server). */
function cacheSubdir(value: string, key: string): string {
  const parts = value.split('/').filter((part) => part !== '' && part !== '.');
  if (isAbsolute(value) || parts.includes('..') || parts.length === 0) {
    throw new Error(`${key} ${JSON.stringify(value)} is not a folder inside the agent's cache dir`);
  }
  return parts.join('/');
}

/**
 * The scripts of one command. `header` is the command as the server sent it (to say where a
 * value came from), `command` the full JSON (commandJson.ts), `commandName` the name the script
 * is given (the custom command's name for CUSTOM_COMMAND, STATUS for a status command).
 */
export async function planScripts(options: {
  header: JsonObject;
  command: JsonObject;
  commandName: string;
  /** ACTIONEXECUTE: a custom action. */
  roleCommand: string;
  statusCommand: boolean;
  files: DirectoryProvider;
}): Promise<ScriptPlan> {
  const { header, command, commandName, roleCommand, files } = options;
  const url = resourcesUrl(command);
  const params = object(command, 'commandParams');
  const script = text(params, 'script');
  if (script === undefined) throw new Error(`commandParams.script is missing (neither the command nor the topology component ${describeComponent(command)} has it)`);

  let main: ScriptStep;
  let origin: string;
  if (roleCommand === 'ACTIONEXECUTE') {
    const baseDir = await files.provide(CUSTOM_ACTIONS_DIR, url);
    main = { script: isAbsolute(script) ? script : join(baseDir, 'scripts', script), baseDir };
    origin = `commandParams.script ${JSON.stringify(script)} under the custom actions folder ${CUSTOM_ACTIONS_DIR}/scripts`;
  } else {
    await files.provide(HOST_SCRIPTS_DIR, url);
    const fromParams = text(params, 'service_package_folder');
    const folderKey = fromParams !== undefined
      ? text(object(header, 'commandParams'), 'service_package_folder') !== undefined ? "the command's commandParams.service_package_folder" : `the topology's commandParams.service_package_folder of ${describeComponent(command)}`
      : `serviceLevelParams.service_package_folder of service ${JSON.stringify(getOwn(command, 'serviceName'))} (metadata)`;
    const folder = fromParams ?? text(object(command, 'serviceLevelParams'), 'service_package_folder');
    if (folder === undefined) {
      throw new Error(`No service package folder for ${describeComponent(command)}: neither commandParams.service_package_folder nor the metadata's serviceLevelParams.service_package_folder of service ${JSON.stringify(getOwn(command, 'serviceName'))} is set`);
    }
    const baseDir = await files.provide(cacheSubdir(folder, folderKey), url);
    main = { script: resolve(baseDir, script), baseDir };
    origin = `commandParams.script ${JSON.stringify(script)} in ${folderKey} ${JSON.stringify(folder)}`;
  }
  if (!(await isFile(main.script))) {
    const failed = files.failure?.(main.baseDir);
    throw new Error(`Script ${main.script} does not exist (${origin})${failed ? `; the cache dir could not be updated: ${failed}` : ''}`);
  }

  const hooksFolder = options.statusCommand ? undefined : text(object(command, 'clusterLevelParams'), 'hooks_folder');
  if (hooksFolder === undefined) return { scripts: [main], main };
  const hooksDir = await files.provide(cacheSubdir(hooksFolder, 'clusterLevelParams.hooks_folder'), url);
  const hooks = await resolveHooks(hooksDir, commandName, text(command, 'serviceName'), text(command, 'role'));
  return { scripts: [...hooks.before, main, ...hooks.after], main };
}

function describeComponent(command: JsonObject): string {
  return `${String(getOwn(command, 'serviceName') ?? 'null')}/${String(getOwn(command, 'role') ?? '?')}`;
}
