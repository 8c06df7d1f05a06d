// The one reader of Linux's /proc/PID files: stat (parsed here, once), cmdline, comm, environ,
// the list of pids and their fds. Every reader answers undefined (or an empty list) when the
// process is gone or the file is unreadable: a process can end between any two reads, and
// that is never an error for the callers.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The fields of /proc/PID/stat the agent uses. */
export interface ProcStat {
  pid: number;
  /** The executable's name, at most 15 bytes (field 2, inside the parentheses). */
  comm: string;
  /** R, S, D, Z (zombie), T, X (dead), ... (field 3). */
  state: string;
  ppid: number;
  /** The process group id. */
  pgrp: number;
  /**
   * Clock ticks since boot when the process started (field 22), kept as the kernel's text:
   * with the pid it identifies a process (a recycled pid has another one).
   */
  startTime: string;
}

/** Fields after the comm up to starttime: state (3) .. starttime (22). */
const FIELDS_AFTER_COMM = 20;

/**
 * One /proc/PID/stat line: "pid (comm) state ppid pgrp session ... starttime ...". comm may
 * hold spaces and parentheses of its own, so it ends at the LAST ')'. Undefined when the text
 * is not such a line.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open));
  const fields = text.slice(close + 2).trimEnd().split(' ');
  if (!Number.isInteger(pid) || pid <= 0 || fields.length < FIELDS_AFTER_COMM) return undefined;
  return {
    pid,
    comm: text.slice(open + 2, close),
    state: fields[0]!,
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    startTime: fields[19]!,
  };
}

export function readProcStat(pid: number): ProcStat | undefined {
  const text = readText(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcStat(text);
}

/** A zombie (exited, not reaped yet) or dead process has ended for every purpose of the agent. */
export function hasEnded(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X';
}

/** The pids in /proc now; undefined when /proc cannot be listed (not Linux, not mounted). */
export function listPids(): number[] | undefined {
  try {
    return pidsOf(readdirSync('/proc'));
  } catch {
    return undefined;
  }
}


function pidsOf(names: string[]): number[] {
  return names.filter((name) => /^\d+$/.test(name)).map(Number);
}

/** Every process's stat, read one after the other (processes that end meanwhile are left out). */
export function readProcessTable(): ProcStat[] {
  const table: ProcStat[] = [];
  for (const pid of listPids() ?? []) {
    const stat = readProcStat(pid);
    if (stat) table.push(stat);
  }
  return table;
}

/**
 * /proc/PID/cmdline → the arguments: NUL-separated, with a NUL after the last one. Empty
 * arguments are kept (argv[1] stays argv[1]); a kernel thread's empty file gives [].
 */
export function parseCmdline(text: string): string[] {
  if (text === '') return [];
  return (text.endsWith('\0') ? text.slice(0, -1) : text).split('\0');
}

export function readCmdline(pid: number): string[] | undefined {
  const text = readText(`/proc/${pid}/cmdline`);
  return text === undefined ? undefined : parseCmdline(text);
}


/** /proc/PID/comm without its newline. */
export function readComm(pid: number): string | undefined {
  return readText(`/proc/${pid}/comm`)?.trim();
}


/**
 * Whether NAME=VALUE is in the process's environment (as it was at exec). False when the
 * environment cannot be read (gone, or another user's process).
 */
export function environHas(pid: number, name: string, value: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`).includes(Buffer.from(`${name}=${value}\0`));
  } catch {
    return false;
  }
}

/** The targets of the process's open descriptors ("socket:[INODE]", paths, ...); [] when unreadable. */
export function readFdTargets(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const targets: string[] = [];
  for (const fd of fds) {
    try {
      targets.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return targets;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

