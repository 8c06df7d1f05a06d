import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../support/tempDirs.mjs';
import { createAgentLogger, formatRecord } from '../../../src/logging/logger.js';

afterAll(removeTempDirs);

describe('agent logger', () => {
  it('--log-format json: pino\'s own records, one JSON line each (level, time, pid, hostname, actor, msg, fields)', () => {
    const dir = tempDir();
    const path = join(dir, 'ambari-agent.log');
    const logger = createAgentLogger({ file: path, level: 'info', alsoStdout: false, format: 'json' });
    logger.log('discovery', 'warn', 'not reachable', { host: 'h' });
    logger.log('discovery', 'debug', 'not at this level');
    logger.close();
    const records = readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ level: 40, pid: process.pid, hostname: hostname(), actor: 'discovery', msg: 'not reachable', host: 'h' });
    expect(typeof records[0]!.time).toBe('number');

    const ambari = createAgentLogger({ file: join(dir, 'plain.log'), level: 'info', alsoStdout: false });
    ambari.log('discovery', 'info', 'plain');
    ambari.close();
    expect(readFileSync(join(dir, 'plain.log'), 'utf8')).toMatch(/^INFO \d{4}-\d\d-\d\d [\d:]+,\d{3} \[discovery\] plain\n$/);
  });

  it('formats pino records as readable lines carrying the actor id', () => {
    const line = formatRecord(JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), actor: 'discovery', msg: 'not reachable', host: 'h' }));
    expect(line).toMatch(/^WARNING 2026-01-0\d \d\d:04:05,006 \[discovery\] not reachable \{"host":"h"\}\n$/);
  });
});
