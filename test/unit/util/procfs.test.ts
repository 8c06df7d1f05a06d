// procfs: the /proc/PID/stat parser on fixture lines, and the readers on live processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  environHas,
  hasEnded,
  listPids,
  parseCmdline,
  parseProcStat,
  readCmdline,
  readComm,
  readFdTargets,
  readProcessTable,
  readProcStat,
} from '../../../src/util/procfs.js';

/** Fields 3.. of a real line (state ppid pgrp session tty tpgid flags ... starttime vsize ...). */
const AFTER_COMM = 'S 4711 4712 4712 34816 4712 4194304 100 0 0 0 3 1 0 0 20 0 1 0 55198 3133440 415 18446744073709551615 0 0 0 0';
const line = (pid: number, comm: string, rest = AFTER_COMM) => `${pid} (${comm}) ${rest}\n`;
/** A pid above any pid_max (at most 2^22 on Linux): no such process. */
const NO_SUCH_PID = 2 ** 31 - 1;

describe('parseProcStat', () => {
  it('reads pid, comm, state, ppid, pgrp and the start time (field 22)', () => {
    expect(parseProcStat(line(4713, 'bash'))).toEqual({ pid: 4713, comm: 'bash', state: 'S', ppid: 4711, pgrp: 4712, startTime: '55198' });
  });

  it('keeps spaces in comm', () => {
    expect(parseProcStat(line(7, 'tmux: server'))?.comm).toBe('tmux: server');
  });

  it('ends comm at the last ")": parentheses and fake fields inside it are comm', () => {
    const stat = parseProcStat(line(8, 'x) R 1 1 1 (y'));
    expect(stat).toMatchObject({ pid: 8, comm: 'x) R 1 1 1 (y', state: 'S', ppid: 4711, pgrp: 4712, startTime: '55198' });
    expect(parseProcStat(line(9, ')'))).toMatchObject({ comm: ')', ppid: 4711 });
    expect(parseProcStat(line(10, '(('))).toMatchObject({ comm: '((', ppid: 4711 });
  });

  it('takes an empty comm and one holding a newline', () => {
    expect(parseProcStat(line(11, ''))).toMatchObject({ comm: '', state: 'S' });
    expect(parseProcStat(line(12, 'a\nb'))).toMatchObject({ comm: 'a\nb', startTime: '55198' });
  });

  it('reads a zombie, and the line without its newline', () => {
    const zombie = parseProcStat(line(13, 'sh', AFTER_COMM.replace(/^S/, 'Z')).trimEnd());
    expect(zombie?.state).toBe('Z');
    expect(hasEnded(zombie!)).toBe(true);
    expect(hasEnded(parseProcStat(line(13, 'sh'))!)).toBe(false);
  });

  it('refuses what is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('garbage')).toBeUndefined();
    expect(parseProcStat('(bash) S 1 2 3')).toBeUndefined(); // no pid
    expect(parseProcStat('x (bash) ' + AFTER_COMM)).toBeUndefined(); // pid not a number
    expect(parseProcStat('0 (bash) ' + AFTER_COMM)).toBeUndefined();
    expect(parseProcStat('5 (bash ' + AFTER_COMM)).toBeUndefined(); // no ')'
    // cut before the start time
    expect(parseProcStat(line(5, 'bash', AFTER_COMM.split(' ').slice(0, 19).join(' ')))).toBeUndefined();
    expect(parseProcStat(line(5, 'bash', AFTER_COMM.split(' ').slice(0, 20).join(' ')))?.startTime).toBe('55198');
  });
});

describe('parseCmdline', () => {
  it('splits at NUL, without the last NUL, keeping empty arguments', () => {
    expect(parseCmdline('node\0/x/main.js\0')).toEqual(['node', '/x/main.js']);
    expect(parseCmdline('a\0\0b\0')).toEqual(['a', '', 'b']);
    expect(parseCmdline('node\0\0')).toEqual(['node', '']);
  });

  it('takes a kernel thread (empty) and a rewritten command line (no NUL)', () => {
    expect(parseCmdline('')).toEqual([]);
    expect(parseCmdline('nginx: worker process')).toEqual(['nginx: worker process']);
  });
});

describe('live /proc', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('reads this process', async () => {
    const stat = readProcStat(process.pid);
    expect(stat).toBeDefined();
    expect(stat).toMatchObject({ pid: process.pid, ppid: process.ppid, comm: readComm(process.pid) });
    expect(stat!.startTime).toMatch(/^\d+$/);
    expect(hasEnded(stat!)).toBe(false);
    expect(readCmdline(process.pid)?.[0]).toBeTruthy();
    expect(readFdTargets(process.pid).length).toBeGreaterThan(0);
    expect(listPids()).toContain(process.pid);
    // (the state may change between two reads)
    expect(readProcessTable().find((p) => p.pid === process.pid)).toMatchObject({ pid: process.pid, ppid: stat!.ppid, comm: stat!.comm, startTime: stat!.startTime });
  });

  it('reads a child: its parent, command line and environment', async () => {
    child = spawn('sleep', ['30'], { stdio: 'ignore', env: { PATH: process.env.PATH, PROCFS_TEST_MARK: 'mark-1' } });
    const pid = child.pid!;
    await new Promise<void>((resolve) => child!.once('spawn', () => resolve()));
    // exec may not have happened yet right after 'spawn': wait for sleep's own command line
    for (let i = 0; i < 100 && readComm(pid) !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(readProcStat(pid)).toMatchObject({ pid, ppid: process.pid, comm: 'sleep' });
    expect(readCmdline(pid)).toEqual(['sleep', '30']);
    expect(environHas(pid, 'PROCFS_TEST_MARK', 'mark-1')).toBe(true);
    expect(environHas(pid, 'PROCFS_TEST_MARK', 'mark')).toBe(false); // the whole value, not a prefix
    expect(environHas(pid, 'PROCFS_TEST', 'MARK')).toBe(false);
  });

  it('answers undefined (or nothing) for a process that does not exist', async () => {
    expect(readProcStat(NO_SUCH_PID)).toBeUndefined();
    expect(readCmdline(NO_SUCH_PID)).toBeUndefined();
    expect(readComm(NO_SUCH_PID)).toBeUndefined();
    expect(environHas(NO_SUCH_PID, 'PATH', '/bin')).toBe(false);
    expect(readFdTargets(NO_SUCH_PID)).toEqual([]);
  });
});
