// scriptLocation + commandHooks: where a command's scripts are (CustomServiceOrchestrator,
// FileCache.get_*_base_dir, CommandHooksOrchestrator), on a real cache dir.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hookNames, resolveHooks } from '../../../../src/actors/commands/commandHooks.js';
import { planScripts, type DirectoryProvider } from '../../../../src/actors/commands/scriptLocation.js';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';

afterAll(removeTempDirs);

function cacheWith(files: string[]): { cacheDir: string; provided: Array<[string, string]>; files: DirectoryProvider } {
  const cacheDir = tempDir('aa-scripts-');
  for (const file of files) {
    mkdirSync(dirname(join(cacheDir, file)), { recursive: true });
    writeFileSync(join(cacheDir, file), '# test\n');
  }
  const provided: Array<[string, string]> = [];
  return { cacheDir, provided, files: { provide: async (subdir, url) => (provided.push([subdir, url]), join(cacheDir, subdir)) } };
}

const PKG = 'stacks/DEV/1.0/services/SVC/package';
const full = (extra: Record<string, unknown> = {}) => ({
  clusterId: '0',
  serviceName: 'SVC',
  role: 'SVC_SERVER',
  roleCommand: 'INSTALL',
  ambariLevelParams: { jdk_location: 'http://127.0.0.1:1/resources' },
  clusterLevelParams: { hooks_folder: 'stack-hooks' },
  serviceLevelParams: { service_package_folder: PKG },
  commandParams: { script: 'scripts/server.py' },
  ...extra,
});

describe('hookNames', () => {
  it('runs general to specific before, and back after', () => {
    expect(hookNames('before', 'INSTALL', 'HDFS', 'DATANODE')).toEqual(['before-INSTALL', 'before-INSTALL-HDFS', 'before-INSTALL-HDFS-DATANODE']);
    expect(hookNames('after', 'INSTALL', 'HDFS', 'DATANODE')).toEqual(['after-INSTALL-HDFS-DATANODE', 'after-INSTALL-HDFS', 'after-INSTALL']);
  });

  it('has no service hooks for a command of no service', () => {
    expect(hookNames('before', 'ACTIONEXECUTE', 'null', 'check_host')).toEqual(['before-ACTIONEXECUTE']);
    expect(hookNames('after', 'START', 'HDFS')).toEqual(['after-START-HDFS', 'after-START']);
  });

  it('finds only the hooks that exist', async () => {
    const { cacheDir } = cacheWith(['hooks/before-START/scripts/hook.py', 'hooks/after-START-SVC-SVC_SERVER/scripts/hook.py', 'hooks/before-START-SVC/nothing.txt']);
    const hooks = await resolveHooks(join(cacheDir, 'hooks'), 'START', 'SVC', 'SVC_SERVER');
    expect(hooks.before).toEqual([{ script: join(cacheDir, 'hooks/before-START/scripts/hook.py'), baseDir: join(cacheDir, 'hooks/before-START'), scriptType: 'PYTHON' }]);
    expect(hooks.after).toEqual([{ script: join(cacheDir, 'hooks/after-START-SVC-SVC_SERVER/scripts/hook.py'), baseDir: join(cacheDir, 'hooks/after-START-SVC-SVC_SERVER'), scriptType: 'PYTHON' }]);
  });
});

describe('planScripts', () => {
  it('finds the service script through the metadata and wraps it in the hooks', async () => {
    const { cacheDir, provided, files } = cacheWith([`${PKG}/scripts/server.py`, 'stack-hooks/before-INSTALL/scripts/hook.py', 'stack-hooks/after-INSTALL/scripts/hook.py']);
    const command = full();
    const plan = await planScripts({ header: {}, command, commandName: 'INSTALL', roleCommand: 'INSTALL', statusCommand: false, files });
    expect(plan.scripts.map((s) => s.script)).toEqual([
      join(cacheDir, 'stack-hooks/before-INSTALL/scripts/hook.py'),
      join(cacheDir, PKG, 'scripts/server.py'),
      join(cacheDir, 'stack-hooks/after-INSTALL/scripts/hook.py'),
    ]);
    expect(plan.main).toEqual({ script: join(cacheDir, PKG, 'scripts/server.py'), baseDir: join(cacheDir, PKG) });
    // host_scripts refreshed first, as the original; every folder from the resources URL.
    expect(provided).toEqual([
      ['host_scripts', 'http://127.0.0.1:1/resources'],
      [PKG, 'http://127.0.0.1:1/resources'],
      ['stack-hooks', 'http://127.0.0.1:1/resources'],
    ]);
  });

  it('prefers commandParams.service_package_folder, and runs no hooks for a status command', async () => {
    const { cacheDir, files } = cacheWith(['other/package/scripts/server.py', 'stack-hooks/before-STATUS/scripts/hook.py']);
    const command = full({ commandParams: { script: 'scripts/server.py', service_package_folder: 'other/package' } });
    const plan = await planScripts({ header: {}, command, commandName: 'STATUS', roleCommand: '', statusCommand: true, files });
    expect(plan.scripts).toEqual([{ script: join(cacheDir, 'other/package/scripts/server.py'), baseDir: join(cacheDir, 'other/package') }]);
  });

  it('finds a custom action under custom_actions/scripts', async () => {
    const { cacheDir, provided, files } = cacheWith(['custom_actions/scripts/check_host.py']);
    const command = { clusterId: 'null', serviceName: 'null', role: 'check_host', roleCommand: 'ACTIONEXECUTE', ambariLevelParams: { jdk_location: 'http://s/resources' }, commandParams: { script: 'check_host.py' } };
    const plan = await planScripts({ header: {}, command, commandName: 'ACTIONEXECUTE', roleCommand: 'ACTIONEXECUTE', statusCommand: false, files });
    expect(plan.scripts).toEqual([{ script: join(cacheDir, 'custom_actions/scripts/check_host.py'), baseDir: join(cacheDir, 'custom_actions') }]);
    expect(provided).toEqual([['custom_actions', 'http://s/resources']]);
  });

  it('names the path and the keys of a missing script', async () => {
    const { cacheDir, files } = cacheWith([]);
    await expect(planScripts({ header: {}, command: full(), commandName: 'INSTALL', roleCommand: 'INSTALL', statusCommand: false, files })).rejects.toThrow(
      `Script ${join(cacheDir, PKG, 'scripts/server.py')} does not exist (commandParams.script "scripts/server.py" in serviceLevelParams.service_package_folder of service "SVC" (metadata) "${PKG}")`,
    );
    await expect(
      planScripts({ header: { commandParams: { service_package_folder: 'x' } }, command: full({ commandParams: { script: 's.py', service_package_folder: 'x' } }), commandName: 'INSTALL', roleCommand: 'INSTALL', statusCommand: false, files }),
    ).rejects.toThrow("in the command's commandParams.service_package_folder \"x\"");
  });

  it('refuses commands without a script or folder, and folders outside the cache', async () => {
    const { cacheDir, files } = cacheWith([]);
    const scriptDir = () => (mkdirSync(join(cacheDir, PKG, 'scripts'), { recursive: true }), join(cacheDir, PKG, 'scripts'));
    const plan = (command: Record<string, unknown>) => planScripts({ header: {}, command, commandName: 'INSTALL', roleCommand: 'INSTALL', statusCommand: false, files });
    await expect(plan(full({ commandParams: {} }))).rejects.toThrow('commandParams.script is missing (neither the command nor the topology component SVC/SVC_SERVER has it)');
    await expect(plan(full({ serviceLevelParams: {} }))).rejects.toThrow('No service package folder for SVC/SVC_SERVER');
    await expect(plan(full({ serviceLevelParams: { service_package_folder: '../../etc' } }))).rejects.toThrow('is not a folder inside the agent\'s cache dir');
    writeFileSync(join(scriptDir(), 'server.py'), '# test\n');
    await expect(plan(full({ clusterLevelParams: { hooks_folder: '/etc' } }))).rejects.toThrow('clusterLevelParams.hooks_folder "/etc" is not a folder inside');
  });
});
