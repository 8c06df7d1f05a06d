// The package as an operator gets it: `npm pack` of a clean tree (no dist/: prepack builds it),
// installed globally into a temp prefix, its CLI run from another directory. Needs the npm
// registry (or npm's cache) for the dependencies, as any install does.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import getPort from 'get-port';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, processesMentioning, ROOT } from './helpers.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'aa-pkg-'));
const home = join(dir, 'home');

afterAll(async () => {
  // Whatever a failed test left: the installed CLI stops its agent, then anything of the home by pid.
  await run(join(dir, 'prefix/bin/ambari-agent'), ['stop', '--home', home], { cwd: dir }).catch(() => undefined);
  for (const pid of processesMentioning(home)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** npm without the caller's npm_* settings (vitest runs under `npm test`, whose config would leak in). */
function npm(args: string[], cwd: string) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
  return run('npm', args, { cwd, env: { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' }, maxBuffer: 16 * 1024 * 1024 });
}

describe('the npm package', () => {
  it('packs from a clean tree (built by prepack, no tests inside), installs globally, and its CLI inits, starts and stops an agent from any directory', { timeout: 240_000 }, async () => {
    // A clean tree: what git holds, without dist/ (node_modules linked, for tsc).
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'ARCHITECTURE.md', 'bin', 'src']) cpSync(join(ROOT, entry), join(tree, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');

    const packed = await npm(['pack', '--json', '--pack-destination', dir], tree);
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info!.files.map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(['bin/ambari-agent', 'bin/ambari-agent-wrapper', 'bin/ambari-dev-server', 'dist/cli/main.js', 'dist/daemon/main.js', 'package.json', 'README.md']));
    expect(files.filter((path) => path.startsWith('test/') || path.startsWith('src/') || path.endsWith('.map'))).toEqual([]);

    const prefix = join(dir, 'prefix');
    await npm(['install', '--global', '--prefix', prefix, '--prefer-offline', join(dir, info!.filename)], dir);
    const cliBin = join(prefix, 'bin/ambari-agent');
    const elsewhere = mkdtempSync(join(dir, 'cwd-'));
    const version = await run(cliBin, ['--version'], { cwd: elsewhere });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);

    const urlPort = await getPort({ host: '127.0.0.1' });
    await run(cliBin, ['init', '--home', home, '--server', '127.0.0.1', '--url-port', String(urlPort)], { cwd: elsewhere });
    const started = await run(cliBin, ['start', '--home', home], { cwd: elsewhere });
    expect(started.stdout).toContain('Ambari Agent successfully started');
    const status = await run(cliBin, ['status', '--home', home], { cwd: elsewhere });
    expect(status.stdout).toMatch(/^Found ambari-agent PID: \d+$/m);
    const stopped = await run(cliBin, ['stop', '--home', home], { cwd: elsewhere });
    expect(stopped.stdout).toMatch(/ambari-agent successfully stopped/i);
    expect(processesMentioning(home)).toEqual([]);
    // Nothing was written beside the package or in the directory it ran from.
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});
