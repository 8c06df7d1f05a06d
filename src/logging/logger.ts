// pino for the agent's log. Each record names the actor that wrote it (`actor`), and is
// written as one readable line, close to the original's layout:
//   INFO 2026-11-25 12:50:21,123 [discovery] Connecting to Ambari server at https://h:8440
// followed by any extra fields as JSON; or, with the `json` format, as pino's own JSON line
// (for log shippers and pino-pretty).
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import type { LogFormat } from './logFormats.js';
import { RotatingFile } from './rotatingFile.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';


/** What machines and actors log through: the actor id travels with every line. */
export type LogFn = (actor: string, level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

interface Sink {
  write(line: string): void;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARNING', 50: 'ERROR', 60: 'CRITICAL' };
const OWN_FIELDS = new Set(['level', 'time', 'msg', 'actor']);

export function formatRecord(json: string): string {
  const record = JSON.parse(json) as Record<string, unknown>;
  const time = formatTime(new Date(record.time as number));
  const level = LEVEL_NAMES[record.level as number] ?? String(record.level);
  const extra = Object.fromEntries(Object.entries(record).filter(([key]) => !OWN_FIELDS.has(key)));
  const tail = Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : '';
  return `${level} ${time} [${String(record.actor ?? 'agent')}] ${String(record.msg ?? '')}${tail}\n`;
}

function formatTime(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())},${pad(date.getMilliseconds(), 3)}`
  );
}

export interface AgentLogger {
  pino: Logger;
  log: LogFn;
  /** SIGUSR2: INFO <-> DEBUG. Returns the new level. */
  toggleDebug(): LogLevel;
  close(): void;
}

export function createAgentLogger(options: { file: string; level: LogLevel; alsoStdout: boolean; format?: LogFormat }): AgentLogger {
  const json = options.format === 'json';
  // The drop note as pino would have written it (level 40: warn).
  const noteRecord = (msg: string) => JSON.stringify({ level: 40, time: Date.now(), ...(json ? { pid: process.pid, hostname: hostname() } : {}), actor: 'logging', msg });
  const file = new RotatingFile(options.file, undefined, undefined, (msg) => (json ? `${noteRecord(msg)}\n` : formatRecord(noteRecord(msg))));
  const sinks: Sink[] = [file];
  if (options.alsoStdout) sinks.push({ write: (line) => process.stdout.write(line) });
  const destination = {
    write(record: string) {
      const line = json ? record : formatRecord(record);
      for (const sink of sinks) sink.write(line);
    },
  };
  // pino's own record: numeric level, epoch-ms time, hostname and pid (as pino-pretty expects).
  const logger = pino(json ? { level: options.level } : { level: options.level, base: undefined, timestamp: pino.stdTimeFunctions.epochTime }, destination);
  return {
    pino: logger,
    log: (actor, level, msg, fields) => logger[level]({ actor, ...fields }, msg),
    toggleDebug() {
      logger.level = logger.level === 'debug' ? 'info' : 'debug';
      return logger.level as LogLevel;
    },
    close: () => file.close(),
  };
}

/** `[agent] loglevel` as the original spells it (INFO, DEBUG, WARNING, ERROR, CRITICAL). */
export function levelFromIni(text: string): LogLevel {
  switch (text.trim().toUpperCase()) {
    case 'DEBUG':
      return 'debug';
    case 'WARN':
    case 'WARNING':
      return 'warn';
    case 'ERROR':
    case 'CRITICAL':
      return 'error';
    default:
      return 'info';
  }
}
