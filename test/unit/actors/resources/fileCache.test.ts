// FileCache against a real HTTP(S) server on 127.0.0.1 serving .hash and archive.zip the way
// ambari-server does: first download, hash re-checks, reset(), failures tolerated or not, empty
// archives, unsafe archives refused whole, shared concurrent checks, leftovers of a killed agent.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { dirname, join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import getPort from 'get-port';
import { afterAll, afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { CachingError, FileCache, RETRY_WITHOUT_COPY_MS, resourceUrl, type FileCacheOptions } from '../../../../src/actors/resources/fileCache.js';
import { memberPath } from '../../../../src/actors/resources/safeUnzip.js';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { selfSignedCert } from '../../../support/tls.mjs';

const SUBDIR = 'stacks/HDP/2.0.6/services/HDFS/package';

interface Answer {
  status?: number;
  body: string | Uint8Array;
}

/** A resources server: answers by path, counts requests by path. */
class ResourceServer {
  readonly answers = new Map<string, Answer>();
  readonly requests = new Map<string, number>();
  server!: Server;
  port = 0;

  handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '';
    this.requests.set(path, (this.requests.get(path) ?? 0) + 1);
    const answer = this.answers.get(path);
    res.writeHead(answer?.status ?? (answer ? 200 : 404));
    res.end(answer ? answer.body : 'not found');
  };

  async start(server: Server = createHttpServer(this.handler)): Promise<void> {
    this.server = server;
    this.port = await getPort({ host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The stack folder's .hash and archive.zip. */
  publish(hash: string, files: Record<string, string> | Uint8Array, subdir = SUBDIR): void {
    this.answers.set(`/resources/${subdir}/.hash`, { body: hash });
    this.answers.set(`/resources/${subdir}/archive.zip`, { body: files instanceof Uint8Array ? files : zip(files) });
  }

  count(file: '.hash' | 'archive.zip', subdir = SUBDIR): number {
    return this.requests.get(`/resources/${subdir}/${file}`) ?? 0;
  }

  get prefix(): string {
    return `http://127.0.0.1:${this.port}/resources/`;
  }
}

const zip = (files: Record<string, string>) => zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, strToU8(text)])));

let server: ResourceServer;
let cacheDir: string;
let logs: string[];

function cache(options: Partial<FileCacheOptions> = {}): FileCache {
  return new FileCache({ cacheDir, tolerateDownloadFailures: false, autoUpdate: () => true, log: (_source, level, message) => logs.push(`${level} ${message}`), ...options });
}

const target = () => join(cacheDir, SUBDIR);
const leftovers = () => readdirSync(dirname(target())).filter((name) => name.startsWith('.'));

beforeEach(async () => {
  server = new ResourceServer();
  await server.start();
  cacheDir = tempDir('aa-filecache-');
  logs = [];
});

afterEach(() => server.stop());
afterAll(() => removeTempDirs());

describe('FileCache.provide', () => {
  it('downloads and unpacks the archive the first time, with the server hash beside it', async () => {
    server.publish('abc123\n', { 'scripts/hdfs.py': 'print(1)\n', 'README': 'hello' });
    const dir = await cache().provide(SUBDIR, server.prefix);
    expect(dir).toBe(target());
    expect(readFileSync(join(dir, 'scripts/hdfs.py'), 'utf8')).toBe('print(1)\n');
    expect(readFileSync(join(dir, 'README'), 'utf8')).toBe('hello');
    expect(readFileSync(join(dir, '.hash'), 'utf8')).toBe('abc123');
    expect(statSync(join(dir, '.hash')).mode & 0o777).toBe(0o644);
    expect(logs).toContain(`info Updated cache dir ${dir} from ${server.prefix}${SUBDIR}/archive.zip (2 files, 14 bytes)`);
    expect(leftovers()).toEqual([]);
  });

  it('does not fetch the archive again while the server hash is unchanged', async () => {
    server.publish('abc123', { 'a.txt': 'A' });
    await cache().provide(SUBDIR, server.prefix);
    await cache().provide(SUBDIR, server.prefix); // a new agent process: nothing known as checked
    expect(server.count('.hash')).toBe(2);
    expect(server.count('archive.zip')).toBe(1);
  });

  it('checks a dir once until reset(), then replaces it whole when the hash changed', async () => {
    const fileCache = cache();
    server.publish('one', { 'old.txt': 'old', 'kept.txt': 'v1' });
    await fileCache.provide(SUBDIR, server.prefix);
    server.publish('two', { 'kept.txt': 'v2', 'sub/new.txt': 'new' });
    await fileCache.provide(SUBDIR, server.prefix);
    expect(server.count('.hash')).toBe(1);
    expect(existsSync(join(target(), 'old.txt'))).toBe(true);

    fileCache.reset();
    await fileCache.provide(SUBDIR, server.prefix);
    expect(server.count('.hash')).toBe(2);
    expect(server.count('archive.zip')).toBe(2);
    expect(existsSync(join(target(), 'old.txt'))).toBe(false);
    expect(readFileSync(join(target(), 'kept.txt'), 'utf8')).toBe('v2');
    expect(readFileSync(join(target(), 'sub/new.txt'), 'utf8')).toBe('new');
    expect(readFileSync(join(target(), '.hash'), 'utf8')).toBe('two');
    expect(leftovers()).toEqual([]);
  });

  it('builds URLs without a doubled slash and with each segment percent-encoded', () => {
    expect(resourceUrl('http://h:8080/resources/', 'stacks/My Stack/1.0/package', '.hash')).toBe('http://h:8080/resources/stacks/My%20Stack/1.0/package/.hash');
    expect(resourceUrl('http://h:8080/resources', 'custom_actions', 'archive.zip')).toBe('http://h:8080/resources/custom_actions/archive.zip');
  });

  it('without tolerate_download_failures, a 404 .hash is a CachingError naming the dir, the URL and the status', async () => {
    const error = await cache().provide(SUBDIR, server.prefix).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CachingError);
    expect((error as Error).message).toBe(`Cannot update the cache dir ${target()} from ${server.prefix}${SUBDIR}/.hash: HTTP 404 Not Found`);
  });

  it('with tolerate_download_failures, a 404 .hash leaves the cached copy, warns once, and is checked again after reset()', async () => {
    server.publish('one', { 'a.txt': 'A' });
    await cache().provide(SUBDIR, server.prefix);
    server.answers.clear();
    const fileCache = cache({ tolerateDownloadFailures: true });
    expect(await fileCache.provide(SUBDIR, server.prefix)).toBe(target());
    expect(readFileSync(join(target(), 'a.txt'), 'utf8')).toBe('A');
    expect(logs.some((line) => line.startsWith('warn ') && line.includes('HTTP 404') && line.includes('the cached copy is used'))).toBe(true);
    await fileCache.provide(SUBDIR, server.prefix);
    expect(server.count('.hash')).toBe(2);
    expect(logs.filter((line) => line.includes('the cached copy is used')).length).toBe(1);
    fileCache.reset();
    await fileCache.provide(SUBDIR, server.prefix);
    expect(server.count('.hash')).toBe(3);
  });

  it('without a cached copy, a tolerated failure is asked again after RETRY_WITHOUT_COPY_MS (warned once) and named by failure()', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    const fileCache = cache({ tolerateDownloadFailures: true });
    expect(await fileCache.provide(SUBDIR, server.prefix)).toBe(target());
    expect(await fileCache.provide(SUBDIR, server.prefix)).toBe(target());
    expect(server.count('.hash')).toBe(1);
    vi.setSystemTime(Date.now() + RETRY_WITHOUT_COPY_MS);
    expect(await fileCache.provide(SUBDIR, server.prefix)).toBe(target());
    expect(server.count('.hash')).toBe(2);
    expect(logs.filter((line) => line.includes('there is no cached copy')).length).toBe(1);
    expect(fileCache.failure(target())).toContain('HTTP 404');
    server.publish('one', { 'a.txt': 'A' });
    vi.setSystemTime(Date.now() + RETRY_WITHOUT_COPY_MS);
    await fileCache.provide(SUBDIR, server.prefix);
    expect(readFileSync(join(target(), 'a.txt'), 'utf8')).toBe('A');
    expect(fileCache.failure(target())).toBeUndefined();
  });

  it('a missing archive is a CachingError, or the cached copy when tolerated', async () => {
    server.answers.set(`/resources/${SUBDIR}/.hash`, { body: 'abc' });
    const error = await cache().provide(SUBDIR, server.prefix).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CachingError);
    expect((error as Error).message).toContain(`${SUBDIR}/archive.zip: HTTP 404`);
    expect(await cache({ tolerateDownloadFailures: true }).provide(SUBDIR, server.prefix)).toBe(target());
    expect(existsSync(target())).toBe(false);
  });

  it('a server error status is named', async () => {
    server.answers.set(`/resources/${SUBDIR}/.hash`, { status: 503, body: 'busy' });
    await expect(cache().provide(SUBDIR, server.prefix)).rejects.toThrow(/: HTTP 503 Service Unavailable$/);
  });

  it('an empty archive keeps the cached copy (and its hash) and warns', async () => {
    server.publish('one', { 'a.txt': 'A' });
    await cache().provide(SUBDIR, server.prefix);
    server.answers.set(`/resources/${SUBDIR}/.hash`, { body: 'two' });
    server.answers.set(`/resources/${SUBDIR}/archive.zip`, { body: ' \n' });
    expect(await cache().provide(SUBDIR, server.prefix)).toBe(target());
    expect(readFileSync(join(target(), 'a.txt'), 'utf8')).toBe('A');
    expect(readFileSync(join(target(), '.hash'), 'utf8')).toBe('one');
    expect(logs).toContain(`warn Skipping empty archive ${server.prefix}${SUBDIR}/archive.zip; the cached copy of ${target()} is used`);
  });

  it('refuses an archive with a member escaping the target: nothing written inside or outside', async () => {
    server.publish('evil', { 'good.txt': 'fine', '../escape.txt': 'gotcha' });
    const error = await cache().provide(SUBDIR, server.prefix).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CachingError);
    const message = (error as Error).message;
    expect(message).toContain(target());
    expect(message).toContain(`${server.prefix}${SUBDIR}/archive.zip`);
    expect(message).toContain('"../escape.txt"');
    expect(existsSync(target())).toBe(false);
    expect(existsSync(join(dirname(target()), 'escape.txt'))).toBe(false);
    expect(leftovers()).toEqual([]);

    // Over an existing copy: the copy stays as it was.
    server.publish('good', { 'good.txt': 'fine' });
    await cache().provide(SUBDIR, server.prefix);
    server.publish('evil2', { 'deep/../../escape.txt': 'gotcha', 'good.txt': 'changed' });
    await expect(cache().provide(SUBDIR, server.prefix)).rejects.toThrow(/"deep\/\.\.\/\.\.\/escape\.txt" escapes the target dir/);
    expect(readFileSync(join(target(), 'good.txt'), 'utf8')).toBe('fine');
    expect(readFileSync(join(target(), '.hash'), 'utf8')).toBe('good');
    expect(existsSync(join(dirname(target()), 'escape.txt'))).toBe(false);
  });

  it('judges member names: absolute, drive, NUL and escaping ".." are refused, inner ".." is not', () => {
    expect(memberPath('/etc/passwd')).toEqual({ problem: 'is an absolute path' });
    expect(memberPath('\\\\server\\share')).toEqual({ problem: 'is an absolute path' });
    expect(memberPath('C:\\Windows\\x')).toEqual({ problem: 'starts with a drive letter' });
    expect(memberPath('a\0b')).toEqual({ problem: 'contains a NUL character' });
    expect(memberPath('..\\x')).toEqual({ problem: 'escapes the target dir with ..' });
    expect(memberPath('a/../b/./c')).toEqual({ path: 'b/c' });
  });

  it('refuses an archive whose unpacked size exceeds the cap', async () => {
    server.publish('big', { 'a.bin': 'x'.repeat(600), 'b.bin': 'y'.repeat(600) });
    await expect(cache({ maxArchiveBytes: 1000 }).provide(SUBDIR, server.prefix)).rejects.toThrow(/exceeds the 1000-byte limit at member "b.bin"/);
    expect(existsSync(target())).toBe(false);
  });

  it('refuses a subdir that could leave the cache dir, tolerated or not', async () => {
    for (const subdir of ['../outside', '', 'stacks/../../x', '/abs']) {
      await expect(cache({ tolerateDownloadFailures: true }).provide(subdir, server.prefix)).rejects.toBeInstanceOf(CachingError);
    }
    expect(server.requests.size).toBe(0);
  });

  it('concurrent provides of one dir share one check and one download', async () => {
    server.publish('abc', { 'a.txt': 'A' });
    const fileCache = cache();
    const dirs = await Promise.all([fileCache.provide(SUBDIR, server.prefix), fileCache.provide(`${SUBDIR}/`, server.prefix), fileCache.provide(SUBDIR, server.prefix)]);
    expect(dirs).toEqual([target(), target(), target()]);
    expect(server.count('.hash')).toBe(1);
    expect(server.count('archive.zip')).toBe(1);
  });

  it('cleans a temp dir left by a killed agent, and restores a copy left renamed aside', async () => {
    server.publish('abc', { 'a.txt': 'A' });
    const parent = dirname(target());
    mkdirSync(join(parent, '.package.download-dead01', 'scripts'), { recursive: true });
    writeFileSync(join(parent, '.package.download-dead01', 'scripts', 'half.py'), 'half');
    mkdirSync(join(parent, '.package.old-dead02'));
    writeFileSync(join(parent, '.package.old-dead02', '.hash'), 'abc');
    writeFileSync(join(parent, '.package.old-dead02', 'a.txt'), 'A');

    await cache().provide(SUBDIR, server.prefix);
    expect(leftovers()).toEqual([]);
    expect(readFileSync(join(target(), 'a.txt'), 'utf8')).toBe('A');
    expect(server.count('archive.zip')).toBe(0); // the restored copy had the server's hash
  });

  it('with auto update off, returns the dir without asking the server', async () => {
    server.publish('abc', { 'a.txt': 'A' });
    expect(await cache({ autoUpdate: () => false }).provide(SUBDIR, server.prefix)).toBe(target());
    expect(server.requests.size).toBe(0);
  });

  it('over https, verifies the server against caFile only (no host name check), as the original', async () => {
    await server.stop();
    const { key, cert } = selfSignedCert();
    server = new ResourceServer();
    await server.start(createHttpsServer({ key, cert }, server.handler));
    server.publish('abc', { 'a.txt': 'A' });
    const prefix = `https://127.0.0.1:${server.port}/resources`;
    // Another self-signed certificate (selfSignedCert() always gives the same one).
    const wrongCa = join(cacheDir, 'other-ca.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(cacheDir, 'other-key.pem'), '-out', wrongCa, '-days', '1', '-subj', '/CN=other'], { stdio: 'ignore' });
    await expect(cache({ caFile: wrongCa }).provide(SUBDIR, prefix)).rejects.toThrow(/self-signed certificate/);
    const caFile = join(cacheDir, 'ca.pem');
    writeFileSync(caFile, cert);
    await cache({ caFile }).provide(SUBDIR, prefix);
    expect(readFileSync(join(target(), 'a.txt'), 'utf8')).toBe('A');
    // No CA file: ensure_ssl_using_protocol's context without ca_certs verifies nothing.
    rmSync(target(), { recursive: true, force: true });
    await cache().provide(SUBDIR, prefix);
    expect(readFileSync(join(target(), 'a.txt'), 'utf8')).toBe('A');
  });
});
