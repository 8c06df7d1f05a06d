import type { LogLevel } from '../logging/logger.js';

/**
 * Machines log through a named `log` action whose params say what to log. The definition here
 * writes nowhere: the daemon provides the real one (pino, tagged with the actor id) and tests
 * provide one that records lines, both with `.provide({ actions: { log } })`.
 */
export interface LogParams {
  level: LogLevel;
  msg: string;
}

export function logNowhere(_args: unknown, _params: LogParams): void {}
