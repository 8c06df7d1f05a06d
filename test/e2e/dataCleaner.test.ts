// The data cleaner's pass at start-up over [agent] prefix.
import { existsSync, lutimesSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, cli, homeFiles, logText, newHome, startAgent, waitForLog } from './helpers.js';

const DAY = 86400;
const outsideDirs: string[] = [];

afterEach(async () => {
  await cleanup();
  for (const dir of outsideDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes `file` (creating its directory) with mtime `ageSeconds` ago. */
function aged(file: string, ageSeconds: number, content = 'x'): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  const when = new Date(Date.now() - ageSeconds * 1000);
  utimesSync(file, when, when);
  return file;
}

function agedLink(target: string, link: string, ageSeconds: number): string {
  symlinkSync(target, link);
  const when = new Date(Date.now() - ageSeconds * 1000);
  lutimesSync(link, when, when);
  return link;
}

const finishedLine = (log: string) => /Data cleanup finished: (\d+) file\(s\) deleted \((\d+) bytes\), (\d+) kept, (\d+) error\(s\)/.exec(log);

describe('data cleaner', () => {
  it('deletes old matching files only, never following symlinks out of the prefix', async () => {
    const home = await newHome();
    const prefix = homeFiles(home).prefix;
    const outside = mkdtempSync(join(tmpdir(), 'aa-outside-'));
    outsideDirs.push(outside);
    const OLD = 40 * DAY;

    const deleted = [
      aged(join(prefix, 'errors-1.txt'), OLD),
      aged(join(prefix, 'sub/deeper/output-2.txt'), OLD),
      aged(join(prefix, 'site-3.pp'), OLD),
      aged(join(prefix, 'structured-out-4.json'), OLD),
      aged(join(prefix, 'auto_command-5.json'), OLD),
      aged(join(prefix, 'auto_structured-out-6.json'), OLD),
      // The pattern is anchored at the start of the name only (Python's re.match).
      aged(join(prefix, 'command-12.json.bak'), OLD),
    ];
    const kept = [
      aged(join(prefix, 'command-3.json'), 2 * DAY), // matching but young
      aged(join(prefix, 'sub/auto_output-9.txt'), 0),
      aged(join(prefix, 'notes-4.txt'), OLD), // not matching
      aged(join(prefix, 'xoutput-5.txt'), OLD), // matches only if unanchored
      aged(join(prefix, 'output-.txt'), OLD), // no number
      aged(join(prefix, 'errors-1.log'), OLD),
    ];

    // A directory symlink pointing outside the prefix, holding an old matching file.
    const outsideOld = aged(join(outside, 'dir/errors-9.txt'), OLD);
    symlinkSync(join(outside, 'dir'), join(prefix, 'linkdir'));
    // An old symlink with a matching name to an old file outside: the link goes, the target stays.
    const outsideTarget = aged(join(outside, 'target.txt'), OLD);
    const oldLink = agedLink(outsideTarget, join(prefix, 'output-7.txt'), OLD);
    // A young symlink with a matching name to an old file: judged by the link's own mtime (lstat).
    const youngTarget = aged(join(outside, 'young-link-target.txt'), OLD);
    const youngLink = agedLink(youngTarget, join(prefix, 'output-8.txt'), 0);

    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    const log = await waitForLog(home, 'Data cleanup finished');

    for (const file of deleted) expect(existsSync(file), file).toBe(false);
    for (const file of kept) expect(existsSync(file), file).toBe(true);
    expect(existsSync(outsideOld)).toBe(true);
    expect(existsSync(join(prefix, 'linkdir'))).toBe(true);
    expect(() => readlinkSync(oldLink)).toThrow();
    expect(existsSync(outsideTarget)).toBe(true);
    expect(readlinkSync(youngLink)).toBe(youngTarget);
    expect(existsSync(youngTarget)).toBe(true);
    expect(existsSync(join(prefix, 'sub/deeper'))).toBe(true); // directories are not removed

    const line = finishedLine(log);
    expect(line, log).not.toBeNull();
    // deleted: 7 files + the old link; kept: command-3, auto_output-9 and the young link.
    expect(Number(line![1])).toBe(deleted.length + 1);
    expect(Number(line![3])).toBe(3);
    expect(Number(line![4])).toBe(0);
  });

  it('deletes the oldest matching files first when over data_cleanup_max_size_MB', async () => {
    const home = await newHome({ set: ['agent.data_cleanup_max_size_MB=1'] });
    const prefix = homeFiles(home).prefix;
    const size = 400_000;
    const oldest = aged(join(prefix, 'output-1.txt'), 3 * 3600, 'a'.repeat(size));
    const middle = aged(join(prefix, 'output-2.txt'), 2 * 3600, 'b'.repeat(size));
    const newest = aged(join(prefix, 'output-3.txt'), 1 * 3600, 'c'.repeat(size));
    const other = aged(join(prefix, 'big-data.bin'), 4 * 3600, 'd'.repeat(size)); // not a command file: not counted

    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    const log = await waitForLog(home, 'Data cleanup finished');

    expect(existsSync(oldest)).toBe(false);
    expect(existsSync(middle)).toBe(true);
    expect(existsSync(newest)).toBe(true);
    expect(existsSync(other)).toBe(true);
    const line = finishedLine(log)!;
    expect(line[1]).toBe('1');
    expect(line[2]).toBe(String(size));
    expect(line[3]).toBe('2');
  });

  it('clamps data_cleanup_max_age up to one day', async () => {
    const home = await newHome({ set: ['agent.data_cleanup_max_age=60'] });
    const prefix = homeFiles(home).prefix;
    const hoursOld = aged(join(prefix, 'errors-1.txt'), 2 * 3600);
    const daysOld = aged(join(prefix, 'errors-2.txt'), 2 * DAY);

    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    expect(started.stdout).toContain('The minimum value allowed for data_cleanup_max_age is 1 day');
    await waitForLog(home, 'Data cleanup finished');
    expect(existsSync(hoursOld)).toBe(true);
    expect(existsSync(daysOld)).toBe(false);
  });

  it('does not run when data_cleanup_interval is 0', async () => {
    const home = await newHome({ set: ['agent.data_cleanup_interval=0'] });
    const old = aged(join(homeFiles(home).prefix, 'errors-1.txt'), 40 * DAY);
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);

    // No cleaner actor in the tree, and the old file stays.
    const pid = Number(/^Agent PID: (\d+)$/m.exec(started.stdout)![1]);
    process.kill(pid, 'SIGUSR1');
    const log = await waitForLog(home, '*** ACTOR TREE - END ***');
    expect(log).toMatch(/^[├└]─ pingPort listening/m);
    expect(log).not.toContain('dataCleaner');
    expect(logText(home)).not.toContain('Data cleanup finished');
    expect(existsSync(old)).toBe(true);
    expect((await cli(['status', '--home', home])).code).toBe(0);
  });
});
