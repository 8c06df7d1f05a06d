// pingPorts: init's ping ports lie outside the kernel's ephemeral range.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_EPHEMERAL, ephemeralRange, pingPortCandidates } from '../../../src/cli/pingPorts.js';
import { removeTempDirs, tempDir } from '../../support/tempDirs.mjs';

afterAll(removeTempDirs);

describe('ping port candidates', () => {
  it('reads ip_local_port_range, and falls back to the Linux default', () => {
    const file = join(tempDir('aa-ports-'), 'range');
    writeFileSync(file, '40000\t50000\n');
    expect(ephemeralRange(file)).toEqual([40000, 50000]);
    writeFileSync(file, 'garbage\n');
    expect(ephemeralRange(file)).toEqual([...DEFAULT_EPHEMERAL]);
    expect(ephemeralRange(join(tempDir('aa-ports-'), 'missing'))).toEqual([...DEFAULT_EPHEMERAL]);
  });

  it('are distinct, at least 10000 and never inside the range', () => {
    const ports = pingPortCandidates([32768, 60999]);
    expect(ports).toHaveLength(64);
    expect(new Set(ports).size).toBe(64);
    for (const port of ports) expect(port >= 10000 && (port < 32768 || port > 60999) && port <= 65535, String(port)).toBe(true);
    // Both spans are used: below and above the range.
    const sweep = pingPortCandidates([32768, 60999], 64, ((n) => () => (n = (n + 0.37) % 1))(0));
    expect(sweep.some((p) => p < 32768)).toBe(true);
    expect(sweep.some((p) => p > 60999)).toBe(true);
  });

  it('copes with a range that leaves little or nothing outside it', () => {
    expect(pingPortCandidates([10000, 65530], 64).sort()).toEqual([65531, 65532, 65533, 65534, 65535]);
    expect(pingPortCandidates([1024, 65535], 64)).toEqual([]);
  });
});
