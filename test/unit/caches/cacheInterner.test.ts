// Caches shared between the hosts of one process: same whole content, one copy; changes shared
// only between hosts that changed the same content.
import { describe, expect, it } from 'vitest';
import { AgentCaches } from '../../../src/caches/index.js';
import { CacheInterner } from '../../../src/caches/cacheInterner.js';

const topology = (hash: string, hosts: string[]) => ({
  hash,
  eventType: 'CREATE',
  clusters: { '0': { hosts: hosts.map((hostName, hostId) => ({ hostId, hostName, rackName: '/default-rack', ipv4: '10.0.0.1' })), components: [] } },
});
const addHost = (hash: string, hostId: number, hostName: string) => ({ hash, eventType: 'UPDATE', clusters: { '0': { hosts: [{ hostId, hostName, rackName: '/default-rack', ipv4: '10.0.0.2' }] } } });
const hostsOf = (caches: AgentCaches) => ((caches.get('topologies').clusters['0'] as { hosts: Array<{ hostName: string }> }).hosts.map((h) => h.hostName));

describe('CacheInterner', () => {
  it('gives hosts that got the same whole content under one hash one copy of it', () => {
    const interner = new CacheInterner();
    const a = new AgentCaches(null, interner);
    const b = new AgentCaches(null, interner);
    a.apply('topologies', topology('h1', ['a', 'b']));
    b.apply('topologies', topology('h1', ['a', 'b']));
    expect(b.get('topologies').clusters).toBe(a.get('topologies').clusters);
    expect(Object.isFrozen(b.get('topologies').clusters['0'])).toBe(true);
    expect(interner.size).toBe(1);
    expect(interner.reused).toBe(1);
  });

  it('keeps the configurations timestamp per host while sharing their content', () => {
    const interner = new CacheInterner();
    const a = new AgentCaches(null, interner);
    const b = new AgentCaches(null, interner);
    const configs = (timestamp: number) => ({ hash: 'c1', timestamp, clusters: { '0': { configurations: { 'cluster-env': { a: '1' } }, configurationAttributes: {} } } });
    a.apply('configurations', configs(100));
    b.apply('configurations', configs(200));
    expect(b.get('configurations').clusters).toBe(a.get('configurations').clusters);
    expect([a.get('configurations').timestamp, b.get('configurations').timestamp]).toEqual([100, 200]);
  });

  it('shares the result of an UPDATE only between hosts that held the same content before it', () => {
    const interner = new CacheInterner();
    const [a, b, c] = [new AgentCaches(null, interner), new AgentCaches(null, interner), new AgentCaches(null, interner)];
    a.apply('topologies', topology('h1', ['a']));
    b.apply('topologies', topology('h1', ['a']));
    // c was told another topology (a server whose agents disagree), then the same UPDATE and hash.
    c.apply('topologies', topology('h2', ['a', 'c']));
    for (const caches of [a, b, c]) caches.apply('topologies', addHost('h3', 5, 'new'));
    expect(b.get('topologies').clusters).toBe(a.get('topologies').clusters);
    expect(c.get('topologies').clusters).not.toBe(a.get('topologies').clusters);
    expect(hostsOf(a)).toEqual(['a', 'new']);
    expect(hostsOf(c)).toEqual(['a', 'c', 'new']);
    expect(c.hash('topologies')).toBe('h3');
  });

  it('keeps nothing on disk without a cache dir', () => {
    const caches = new AgentCaches(null);
    caches.apply('topologies', topology('h1', ['a']));
    expect(() => caches.persist('topologies')).not.toThrow();
    expect(() => caches.fileOf('topologies')).toThrow(/in memory only/);
  });
});
