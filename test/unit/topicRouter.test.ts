import { it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { AgentCaches } from '../../src/caches/index.js';
it('probe', () => {
  const dir = mkdtempSync('/tmp/pp-');
  const out: string[] = [];
  for (let depth = 1000; depth <= 3000; depth += 20) {
    for (const cache of ['metadata', 'topologies'] as const) {
    const c = new AgentCaches(dir);
    const inner = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const body = cache === 'metadata' ? '{"0":' + inner + '}' : `{"eventType":"CREATE","hash":"h","clusters":{"0":{"x":${inner}}}}`;
    let stage = 'parse';
    try { const m = JSON.parse(body); stage = 'apply'; c.apply(cache, m); stage = 'persist'; c.persist(cache); stage = 'ok'; } catch (e) { stage += ' ' + (e as Error).message; }
    out.push(`${cache} ${depth} ${stage} ${Object.keys(c.get(cache).clusters)}`);
    }
  }
  console.log(out.filter((l, i) => i === 0 || l.split(' ').slice(2).join(' ') !== out[i - 1].split(' ').slice(2).join(' ') || true).join('\n'));
  rmSync(dir, { recursive: true });
});
