// The dev server's /resources: .hash exactly as ResourceFilesKeeper.count_hash_sum computes it,
// archive.zip with the folder's relative names, which folders are archivable, nothing served
// from outside the dir (".." plain or encoded, symlinks), results recomputed when files change;
// and the same through the real dev server binary.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ResourceFiles, type ResourceAnswer } from '../../../src/server/resourceFiles.js';
import { ROOT } from '../../support/cli.mjs';
import { startDevServer } from '../../support/devServer.mjs';
import { removeTempDirs, tempDir } from '../../support/tempDirs.mjs';

const PACKAGE = 'stacks/HDP/2.0.6/services/HDFS/package';

/** ResourceFilesKeeper.count_hash_sum, written out plainly: sha1 over every file's bytes, sorted by absolute path. */
function pythonHash(dir: string): string {
  const paths: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name !== '.hash' && name !== 'archive.zip' && !name.endsWith('.pyc')) paths.push(resolve(path));
    }
  };
  walk(dir);
  paths.sort();
  const sha1 = createHash('sha1');
  for (const path of paths) sha1.update(readFileSync(path));
  return sha1.digest('hex');
}

function write(root: string, path: string, content: string | Buffer): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

const bytes = (answer: ResourceAnswer): Buffer => {
  if (answer.kind !== 'bytes') throw new Error(`expected computed bytes, got ${JSON.stringify(answer)}`);
  return answer.body;
};

let root: string;
let outside: string;
let resources: ResourceFiles;

beforeEach(() => {
  root = tempDir('aa-resources-');
  outside = tempDir('aa-outside-');
  write(outside, 'secret.txt', 'secret');
  write(root, 'stacks/HDP/2.0.6/metainfo.xml', '<metainfo/>');
  write(root, 'stacks/HDP/2.0.6/services/HDFS/metainfo.xml', '<metainfo/>');
  write(root, `${PACKAGE}/scripts/namenode.py`, 'print("nn")\n');
  write(root, `${PACKAGE}/scripts/namenode.pyc`, 'compiled');
  write(root, `${PACKAGE}/scripts/params.py`, 'x = 1\n');
  write(root, `${PACKAGE}/files/checkWebUI.py`, Buffer.from([0, 1, 2, 255]));
  write(root, `${PACKAGE}/Z-last.txt`, 'z');
  write(root, `${PACKAGE}/files-b.txt`, 'sorts between files/ and scripts/ by path');
  write(root, 'custom_actions/scripts/check_host.py', 'check');
  mkdirSync(join(root, 'host_scripts'));
  write(root, 'stacks/NOMETA/1.0/services/S/package/a.txt', 'a');
  resources = new ResourceFiles(root);
});

afterAll(() => removeTempDirs());

describe('ResourceFiles', () => {
  it('computes a package folder .hash as count_hash_sum does (sorted paths, .pyc ignored)', async () => {
    const hash = bytes(await resources.lookup(`${PACKAGE}/.hash`)).toString();
    expect(hash).toMatch(/^[0-9a-f]{40}$/);
    expect(hash).toBe(pythonHash(join(root, PACKAGE)));
  });

  it('zips a package folder under its relative names, without .pyc, .hash or archive.zip', async () => {
    const members = unzipSync(bytes(await resources.lookup(`${PACKAGE}/archive.zip`)));
    expect(Object.keys(members).sort()).toEqual(['Z-last.txt', 'files-b.txt', 'files/checkWebUI.py', 'scripts/namenode.py', 'scripts/params.py']);
    expect(Buffer.from(members['files/checkWebUI.py']!)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(Buffer.from(members['scripts/namenode.py']!).toString()).toBe('print("nn")\n');
  });

  it('archives the whole custom_actions dir; an empty dir has neither .hash nor archive', async () => {
    expect(bytes(await resources.lookup('custom_actions/.hash')).toString()).toBe(pythonHash(join(root, 'custom_actions')));
    expect(Object.keys(unzipSync(bytes(await resources.lookup('custom_actions/archive.zip'))))).toEqual(['scripts/check_host.py']);
    for (const file of ['.hash', 'archive.zip']) expect(await resources.lookup(`host_scripts/${file}`)).toMatchObject({ kind: 'error', status: 404 });
  });

  it('has no computed .hash for folders that are not archivable', async () => {
    for (const path of ['stacks/HDP/2.0.6/services/HDFS/.hash', 'stacks/NOMETA/1.0/services/S/package/.hash', 'stacks/.hash', 'stacks/HDP/2.0.6/services/HDFS/package/scripts/.hash']) {
      expect(await resources.lookup(path)).toMatchObject({ kind: 'error', status: 404 });
    }
  });

  it('serves plain files, and a folder own .hash or archive.zip as it is', async () => {
    expect(await resources.lookup('stacks/HDP/2.0.6/metainfo.xml')).toEqual({ kind: 'file', path: join(root, 'stacks/HDP/2.0.6/metainfo.xml'), size: 11 });
    write(root, `${PACKAGE}/.hash`, 'planted');
    write(root, `${PACKAGE}/archive.zip`, 'not even a zip');
    expect(await resources.lookup(`${PACKAGE}/.hash`)).toMatchObject({ kind: 'file', path: join(root, PACKAGE, '.hash') });
    expect(await resources.lookup(`${PACKAGE}/archive.zip`)).toMatchObject({ kind: 'file', size: 14 });
    // ...and they are not part of the computed hash either.
    expect(await resources.hashOf(join(root, PACKAGE))).toBe(pythonHash(join(root, PACKAGE)));
  });

  it('refuses paths out of the dir: "..", encoded or not, separators hidden in a segment, NUL', async () => {
    for (const path of ['../secret.txt', '%2e%2e/secret.txt', 'stacks/%2E%2E/%2e%2E/x', 'stacks%2F..%2F..%2Fx', 'a\\..\\b', '%00', 'stacks//HDP', '', '%zz']) {
      const answer = await resources.lookup(path);
      expect(answer, path).toMatchObject({ kind: 'error', status: 404 });
    }
  });

  it('refuses symlinks leading out of the dir, and leaves such links out of hashes and archives', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(root, 'leak.txt'));
    symlinkSync(outside, join(root, 'custom_actions/outdir'));
    symlinkSync(join(outside, 'secret.txt'), join(root, PACKAGE, 'leak.txt'));
    symlinkSync(join(root, 'stacks/HDP/2.0.6/metainfo.xml'), join(root, PACKAGE, 'inside.xml'));
    expect(await resources.lookup('leak.txt')).toMatchObject({ kind: 'error', status: 404, error: 'leak.txt is outside the resources dir' });
    expect(await resources.lookup('custom_actions/outdir/secret.txt')).toMatchObject({ kind: 'error', status: 404 });
    const members = unzipSync(bytes(await resources.lookup(`${PACKAGE}/archive.zip`)));
    expect(Object.keys(members)).not.toContain('leak.txt');
    expect(Buffer.from(members['inside.xml']!).toString()).toBe('<metainfo/>');
    expect(Object.keys(unzipSync(bytes(await resources.lookup('custom_actions/archive.zip'))))).toEqual(['scripts/check_host.py']);
  });

  it('computes again when a file changed, and only then', async () => {
    const first = bytes(await resources.lookup(`${PACKAGE}/.hash`)).toString();
    expect(bytes(await resources.lookup(`${PACKAGE}/.hash`)).toString()).toBe(first);
    write(root, `${PACKAGE}/scripts/params.py`, 'x = 2\n'); // same size: the mtime tells
    utimesSync(join(root, PACKAGE, 'scripts/params.py'), new Date(), new Date(Date.now() + 5000));
    const second = bytes(await resources.lookup(`${PACKAGE}/.hash`)).toString();
    expect(second).not.toBe(first);
    expect(second).toBe(pythonHash(join(root, PACKAGE)));
    const members = unzipSync(bytes(await resources.lookup(`${PACKAGE}/archive.zip`)));
    expect(Buffer.from(members['scripts/params.py']!).toString()).toBe('x = 2\n');
    write(root, `${PACKAGE}/scripts/new.py`, '');
    expect(bytes(await resources.lookup(`${PACKAGE}/.hash`)).toString()).toBe(pythonHash(join(root, PACKAGE)));
  });
});

/** GET with the path sent as written (fetch would resolve the dots). */
function rawGet(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolvePromise, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

describe('the dev server binary with --resources', () => {
  it('serves .hash and archive.zip at jdk_location, refuses traversal, and says when --resources is missing', async () => {
    const dataDir = tempDir('aa-resources-server-');
    const server = await startDevServer({ dataDir, args: ['--resources', root] });
    try {
      const hash = await rawGet(server.apiPort, `/resources/${PACKAGE}/.hash`);
      expect(hash.status).toBe(200);
      expect(hash.body.toString()).toBe(pythonHash(join(root, PACKAGE)));
      const archive = await rawGet(server.apiPort, `/resources/${PACKAGE}/archive.zip`);
      expect(archive.status).toBe(200);
      expect(Object.keys(unzipSync(archive.body))).toContain('scripts/namenode.py');
      const plain = await rawGet(server.apiPort, '/resources/stacks/HDP/2.0.6/metainfo.xml');
      expect(plain.body.toString()).toBe('<metainfo/>');
      for (const path of ['/resources/../../etc/passwd', '/resources/%2e%2e/%2e%2e/etc/passwd']) {
        const refused = await rawGet(server.apiPort, path);
        expect(refused.status, path).toBe(404);
        expect(refused.body.toString()).toMatch(/^\{"error":"[^\n]+"\}\n$/);
      }
    } finally {
      await server.stop();
    }
    const plainServer = await startDevServer({ dataDir });
    try {
      const answer = await rawGet(plainServer.apiPort, `/resources/${PACKAGE}/.hash`);
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body.toString())).toEqual({ error: 'this dev server was started without --resources' });
    } finally {
      await plainServer.stop();
    }
  });

  it('refuses to start with a --resources dir that does not exist', () => {
    const missing = join(root, 'nope');
    const args = ['--resources', missing, '--data-dir', tempDir('aa-resources-server-'), '--api-port', '0', '--url-port', '0', '--secured-url-port', '0'];
    const result = spawnSync(process.execPath, [join(ROOT, 'bin/ambari-dev-server'), ...args], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`ERROR: --resources '${missing}': no such directory (${missing})\n`);
  });
});
