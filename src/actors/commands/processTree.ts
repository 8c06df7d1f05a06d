// A command script's process tree, and its killing on timeout or cancel (or after the agent
// that started it is gone: killLeftoverTree). The script is started in its own session /
// process group (detached); the whole tree is killed: SIGTERM to the group, to every recorded
// descendant and through tree-kill; after KILL_GRACE_MS (or as soon as the tree is gone) the
// tree is frozen with SIGSTOP, re-scanned until no new process shows up, and SIGKILLed the
// same three ways.
// "The tree" is re-scanned from /proc on every step (ppid links from the child and from every
// process recorded before, the child's process group, and an environment marker, see
// MARKER_ENV) and remembered by (pid, start time) so that a recycled pid is never signalled.
// The marker catches descendants that left both the process group (setsid) and the ppid tree
// (their parent died, they were re-parented to init) before the kill started. Only a process
// that did all of that AND scrubbed its environment can escape (cgroups would be needed).
// Package managers in the tree (PACKAGE_MANAGERS) and their descendants are never signalled
// (shell.kill_process_with_children's exception_list): with one in the tree the others are
// signalled one by one (no group signal, no tree-kill), the kill does not wait for them, and
// the caller is told which were left running.
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import treeKill from 'tree-kill';
import { environHas, hasEnded, readProcessTable, readProcStat } from '../../util/procfs.js';

/**
 * Between SIGTERM and SIGKILL. Under 2 s so that even a tree that ignores SIGTERM is gone
 * within 2 s of its timeout (freezing and SIGKILL take a few ms more).
 */
export const KILL_GRACE_MS = 1500;
/** Environment variable set (to a fresh random value) for every script run, see the header. */
export const MARKER_ENV = 'AMBARI_AGENT_RUN_MARKER';
/**
 * Never signalled by a timeout or cancel, nor anything below them (dpkg under apt, maintainer
 * scripts under dpkg): a killed package manager can leave its database broken (AMBARI-22888;
 * the exception_list of ambari_commons.shell.kill_process_with_children, plus dpkg and dnf).
 */
export const PACKAGE_MANAGERS: ReadonlySet<string> = new Set(['apt-get', 'apt', 'dpkg', 'yum', 'dnf', 'zypper', 'zypp']);

const POLL_MS = 50;

/** The facts that find a command's process tree again: see killLeftoverTree. */
export interface SpawnedProcess {
  pid: number;
  /** The child's start time in /proc/PID/stat (clock ticks since boot): tells a recycled pid. */
  startTime: string;
  /** The value of MARKER_ENV in the tree's environment. */
  marker: string;
}

/** A package manager (or one of its descendants) that a kill left running, see PACKAGE_MANAGERS. */
export interface SparedProcess {
  pid: number;
  /** Its /proc/PID/comm. */
  name: string;
}

/** A fresh value of MARKER_ENV for one script run of one task. */
export function newMarker(taskId: number | string): string {
  return `${process.pid}-${String(taskId)}-${randomBytes(12).toString('hex')}`;
}

/** What identifies a just spawned child's tree later (its start time '' when /proc has none). */
export function spawnedProcess(pid: number, marker: string): SpawnedProcess {
  return { pid, startTime: readProcStat(pid)?.startTime ?? '', marker };
}

/** "PID (NAME), PID (NAME)". */
export function sparedList(spared: SparedProcess[]): string {
  return spared.map((p) => `${p.pid} (${p.name})`).join(', ');
}

export function sparedMessage(spared: SparedProcess[]): string {
  return `\nThe package manager process(es) ${sparedList(spared)} were left to finish.`;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // ESRCH: already gone; EPERM: not ours to kill
  }
}

function treeKillAsync(pid: number, sig: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    try {
      treeKill(pid, sig, () => resolve());
    } catch {
      resolve();
    }
  });
}

/**
 * The descendants of one spawned child, remembered by (pid, start time) across re-scans so
 * that processes re-parented to init are still known and recycled pids are never signalled.
 * Package managers found in it and their descendants are kept apart (`spared`): never
 * signalled, and not waited for.
 */
export class ProcessTree {
  private readonly known = new Map<number, string>();
  private readonly spared = new Map<number, { start: string; name: string }>();
  private readonly helpers: Promise<void>[] = [];

  constructor(
    private readonly root: number,
    private readonly marker: string,
    private readonly rootExited: () => boolean,
    /** False for a leftover tree whose root is gone: its process group id may be reused. */
    private readonly signalGroup = true,
  ) {}

  /** Adopts a process known by (pid, start time), e.g. the live root of a leftover tree. */
  adopt(pid: number, start: string): void {
    this.known.set(pid, start);
  }

  /** Known processes still running (after a scan), the spared ones left out. */
  members(): number[] {
    return this.alive();
  }

  /** Every process spared so far. */
  sparedProcesses(): SparedProcess[] {
    return [...this.spared].map(([pid, { name }]) => ({ pid, name }));
  }

  /** Re-scans /proc; returns the pids (not spared) found for the first time. */
  scan(): number[] {
    const table = readProcessTable();
    const byPid = new Map(table.map((p) => [p.pid, p]));
    const children = new Map<number, number[]>();
    for (const p of table) {
      const list = children.get(p.ppid);
      if (list) list.push(p.pid);
      else children.set(p.ppid, [p.pid]);
    }
    const found = new Set<number>();
    const queue: number[] = [];
    const add = (pid: number): void => {
      if (found.has(pid) || pid === process.pid || pid <= 1) return;
      found.add(pid);
      queue.push(pid);
    };
    // The root's pid is ours until node reaped it, i.e. until 'exit' was emitted.
    if (!this.rootExited() && byPid.has(this.root)) add(this.root);
    for (const [pid, start] of this.known) if (byPid.get(pid)?.startTime === start) add(pid);
    for (const p of table) {
      if ((this.signalGroup && p.pgrp === this.root) || (!found.has(p.pid) && environHas(p.pid, MARKER_ENV, this.marker))) add(p.pid);
    }
    while (queue.length > 0) for (const kid of children.get(queue.pop()!) ?? []) add(kid);

    // Package managers and everything below them (also below one spared before that was
    // re-parented since) are spared from now on, even one that was a member before (a
    // shell that exec'd apt-get).
    const sparing: number[] = [];
    for (const pid of found) if (PACKAGE_MANAGERS.has(byPid.get(pid)!.comm.toLowerCase())) sparing.push(pid);
    for (const [pid, { start }] of this.spared) if (byPid.get(pid)?.startTime === start) sparing.push(pid);
    const sparedNow = new Set<number>();
    while (sparing.length > 0) {
      const pid = sparing.pop()!;
      if (sparedNow.has(pid) || pid === process.pid || pid <= 1) continue;
      sparedNow.add(pid);
      sparing.push(...(children.get(pid) ?? []));
    }
    for (const pid of sparedNow) {
      const p = byPid.get(pid)!;
      if (this.spared.get(pid)?.start !== p.startTime) this.spared.set(pid, { start: p.startTime, name: p.comm });
      if (this.known.get(pid) === p.startTime) this.known.delete(pid);
    }

    // Every pid found is in the tree now (reached from a live, identity-checked member), so a
    // known pid with a new start time is a recycled pid that a member forked: record it anew.
    const fresh: number[] = [];
    for (const pid of found) {
      if (sparedNow.has(pid)) continue;
      const start = byPid.get(pid)!.startTime;
      if (this.known.get(pid) === start) continue;
      this.known.set(pid, start);
      fresh.push(pid);
    }
    return fresh;
  }

  /** Known processes (the root included) that still run; zombies count as gone. */
  private alive(): number[] {
    const live: number[] = [];
    for (const [pid, start] of this.known) {
      const now = readProcStat(pid);
      if (now && now.startTime === start && !hasEnded(now)) live.push(pid);
    }
    return live;
  }

  private gone(): boolean {
    // A spared root (a script that exec'd a package manager) is not waited for here.
    return (this.rootExited() || this.spared.has(this.root)) && this.alive().length === 0;
  }

  private signalAll(sig: NodeJS.Signals, only?: number[]): void {
    // The group signal and tree-kill would hit a spared process too: with one in the tree,
    // the members are signalled one by one.
    const wholeTree = this.spared.size === 0;
    if (wholeTree && this.signalGroup) signal(-this.root, sig);
    if (wholeTree && !this.rootExited()) this.helpers.push(treeKillAsync(this.root, sig));
    for (const pid of only ?? this.alive()) signal(pid, sig);
  }

  /**
   * SIGTERM, grace, freeze + SIGKILL; resolves when the root exited (or is spared) and no
   * known process runs, with the processes it spared.
   */
  async kill(): Promise<SparedProcess[]> {
    this.scan();
    this.signalAll('SIGTERM');
    const graceEnd = Date.now() + KILL_GRACE_MS;
    while (Date.now() < graceEnd) {
      await delay(POLL_MS);
      const fresh = this.scan();
      if (fresh.length > 0) this.signalAll('SIGTERM', fresh);
      if (this.gone()) break;
    }

    if (!this.gone()) {
      // Freeze first, so that nothing can fork (and orphan a child) between scan and kill.
      for (let round = 0; round < 20; round++) {
        this.signalAll('SIGSTOP');
        if (this.scan().length === 0) break;
      }
      this.signalAll('SIGKILL');
    }
    // Stragglers (a fork racing the freeze, a slow exit): keep scanning and SIGKILLing until
    // the root exited and every known process is gone (or a few seconds passed: a process in
    // uninterruptible sleep cannot be helped).
    const hardEnd = Date.now() + 5000;
    while (!this.gone() && Date.now() < hardEnd) {
      await delay(POLL_MS);
      this.scan();
      this.signalAll('SIGKILL');
    }
    await Promise.all(this.helpers);
    return this.sparedProcesses();
  }
}

/** What killLeftoverTree found: the pids it killed and the package managers it left running. */
export interface LeftoverKill {
  killed: number[];
  spared: SparedProcess[];
}

/**
 * Kills what is left of a command tree started by an agent that is gone (SIGKILLed, crashed):
 * its processes were re-parented to init, so they are found by the marker in their environment,
 * and by the root itself when it still runs with the same start time (a recycled pid is never
 * signalled). Same SIGTERM, grace, freeze and SIGKILL as a timeout, and the same package
 * managers spared. Both lists are empty when nothing was left.
 */
export async function killLeftoverTree(spawned: SpawnedProcess): Promise<LeftoverKill> {
  const rootStat = readProcStat(spawned.pid);
  const rootAlive = rootStat !== undefined && spawned.startTime !== '' && rootStat.startTime === spawned.startTime && !hasEnded(rootStat);
  const tree = new ProcessTree(spawned.pid, spawned.marker, () => true, rootAlive);
  if (rootAlive) tree.adopt(spawned.pid, rootStat.startTime);
  tree.scan();
  const killed = tree.members();
  const spared = killed.length > 0 ? await tree.kill() : tree.sparedProcesses();
  return { killed, spared };
}
