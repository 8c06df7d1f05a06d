// When the agent last restarted itself (exit 77), kept beside the pid file for the agent the
// wrapper (or a service manager) starts next. A server that sends RESTART_AGENT many times in a
// row (a script, an operator's retries, a message redelivered) would otherwise restart each new
// agent again as soon as it registers: requests within RESTART_QUIET_MS of a restart count as
// the one already done.
import { readFileSync, writeFileSync } from 'node:fs';

export const RESTART_QUIET_MS = 10_000;

interface RestartRecord {
  at: number;
  reason: string;
}

/** Best effort: an agent that cannot write it still restarts (only without the quiet window). */
export function recordRestart(file: string, reason: string, now = Date.now()): void {
  try {
    writeFileSync(file, `${JSON.stringify({ at: now, reason } satisfies RestartRecord)}\n`, { mode: 0o644 });
  } catch {
    // The pid dir is gone or full: nothing to keep the record in.
  }
}

/**
 * Until when (epoch ms) RESTART_AGENT requests are taken as the restart already done; 0 when
 * the last restart is older, unknown or the record unreadable. A record from the future (the
 * clock was set back) counts from now, so it cannot hold requests off longer than the window.
 */
export function restartQuietUntil(file: string, now = Date.now()): number {
  let record: Partial<RestartRecord>;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as Partial<RestartRecord>;
  } catch {
    return 0;
  }
  if (typeof record?.at !== 'number' || !Number.isFinite(record.at)) return 0;
  const until = Math.min(record.at, now) + RESTART_QUIET_MS;
  return until > now ? until : 0;
}
