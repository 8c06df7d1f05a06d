// The state page server (src/introspection/statePage) with a fake StateSource: loopback only,
// a self-contained page, /state.json, the SSE stream (initial view, updates after changes,
// throttling, pings, clean-up when the client goes or the page closes), 404/405/421; the wire
// format's active paths and details; and the dev server's source (hosts, tasks, events).
import { request, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActorNode } from '../../../src/introspection/actorTree.js';
import { DIAGRAM_SCRIPT } from '../../../src/introspection/statePage/diagram.js';
import { activePaths, createStatePage, pageView, type PageView, type StatePage } from '../../../src/introspection/statePage/index.js';
import type { LoggedEvent, MachineGraph, StateSource, StateView } from '../../../src/introspection/viewTypes.js';
import { HostRegistry } from '../../../src/server/hostRegistry.js';
import { hostGraph, taskGraph } from '../../../src/server/stateGraphs.js';
import { createServerState } from '../../../src/server/stateSource.js';
import { actionQueueMachine, taskActorId } from '../../../src/machines/actionQueue.js';
import { sessionMachine } from '../../../src/machines/session.js';
import { machineGraph } from '../../../src/introspection/machineGraph.js';
import { TaskStore, type CommandRequest } from '../../../src/server/taskStore.js';
import { startLoopbackDevServer } from '../../support/inProcessDevServer.js';

// ------------------------------------------------------------------------------------------
// A fake source

const sessionGraph: MachineGraph = {
  id: 'session',
  root: {
    key: '',
    path: '',
    type: 'compound',
    initial: 'connecting',
    invokes: [],
    transitions: [{ event: 'STOP', targets: ['ended'] }],
    children: [
      { key: 'connecting', path: 'connecting', type: 'atomic', children: [], invokes: ['connect'], transitions: [{ event: 'xstate.done.actor.connect', targets: ['online'] }] },
      {
        key: 'online',
        path: 'online',
        type: 'compound',
        initial: 'registering',
        invokes: ['listener'],
        transitions: [{ event: 'LINK.LOST', targets: ['connecting'] }],
        children: [
          { key: 'registering', path: 'online.registering', type: 'atomic', children: [], invokes: [], transitions: [{ event: 'REGISTERED', targets: ['online.registered'] }] },
          { key: 'registered', path: 'online.registered', type: 'atomic', children: [], invokes: [], transitions: [] },
        ],
      },
      { key: 'ended', path: 'ended', type: 'final', children: [], invokes: [], transitions: [] },
    ],
  },
};

class FakeSource implements StateSource {
  readonly listeners = new Set<() => void>();
  views = 0;
  tree: ActorNode;
  events: LoggedEvent[] = [{ t: 1_000, actor: 'session', kind: 'state', type: 'connecting' }];
  machines: MachineGraph[] = [sessionGraph];

  constructor(now = Date.now()) {
    this.tree = {
      id: 'supervisor',
      machine: 'supervisor',
      status: 'active',
      state: 'connected',
      since: now - 5_000,
      context: { activeServer: 'srv.example', boundPort: 8670 },
      children: [
        { id: 'session', machine: 'session', status: 'active', state: { online: 'registered' }, since: now - 2_000, context: { server: 'srv.example', registrations: 1 }, children: [] },
        { id: 'probe', status: 'active', children: [] },
        { id: 'oddity', machine: 'unknownToDetailsOf', status: 'active', state: 'x', context: { note: 'plain', n: 3, nested: { no: 1 }, flag: true }, children: [] },
      ],
    };
  }

  view(): StateView {
    this.views++;
    return { title: 'fake agent <b>', at: Date.now(), tree: this.tree, events: this.events, machines: this.machines };
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes the session's state and tells the listeners (as the recorder does, in a later turn). */
  change(state: unknown): void {
    this.tree.children[0]!.state = state;
    this.events = [...this.events, { t: Date.now(), actor: 'session', kind: 'state', type: JSON.stringify(state) }];
    for (const listener of this.listeners) listener();
  }
}

// ------------------------------------------------------------------------------------------
// HTTP helpers

const pages: StatePage[] = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const page of pages.splice(0)) await page.close();
});

async function openPage(source: StateSource, extra: { throttleMs?: number; pingIntervalMs?: number } = {}): Promise<StatePage> {
  const page = await createStatePage({ source, port: 0, ...extra });
  pages.push(page);
  return page;
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function get(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface Stream {
  res: IncomingMessage;
  views: PageView[];
  comments: string[];
  raw: () => string;
  /** Resolves once `count` views have come. */
  waitForViews(count: number, timeoutMs?: number): Promise<PageView[]>;
  ended: Promise<void>;
  close(): void;
}

function openStream(url: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}events`, { headers: { accept: 'text/event-stream' } }, (res) => {
      let buffer = '';
      let raw = '';
      const views: PageView[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const lines = block.split('\n');
          for (const line of lines) if (line.startsWith(':')) comments.push(line);
          const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
          const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
          if (event === 'view') views.push(JSON.parse(data) as PageView);
        }
        for (const waiter of waiters) waiter();
      });
      const stream: Stream = {
        res,
        views,
        comments,
        raw: () => raw,
        ended,
        close: () => req.destroy(),
        waitForViews: (count, timeoutMs = 3_000) =>
          new Promise((done, fail) => {
            const check = () => {
              if (views.length < count) return;
              waiters.delete(check);
              clearTimeout(timer);
              done(views);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`${views.length} views after ${timeoutMs} ms, expected ${count}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
      };
      cleanups.push(() => req.destroy());
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });
}

// ------------------------------------------------------------------------------------------

describe('state page server', () => {
  it('listens on 127.0.0.1 only, and refuses any other host', async () => {
    const page = await openPage(new FakeSource());
    expect(page.url).toBe(`http://127.0.0.1:${page.port}/`);
    expect(page.port).toBeGreaterThan(0);
    expect(await refused('127.0.0.1', page.port)).toBe(false);
    // Another loopback address and every other interface of this host: nothing there.
    const others = ['127.0.0.2', ...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((i) => i.family === 'IPv4' && !i.internal).map((i) => i.address))];
    for (const address of others) expect(await refused(address, page.port), address).toBe(true);

    for (const host of ['0.0.0.0', '::', 'localhost', '192.168.1.1']) {
      await expect(createStatePage({ source: new FakeSource(), port: 0, host: host as '127.0.0.1' })).rejects.toThrow(/127\.0\.0\.1 only/);
    }
    await expect(createStatePage({ source: new FakeSource(), port: 70000 })).rejects.toThrow(/not a valid port/);
  });

  it('names the port when it is taken', async () => {
    const page = await openPage(new FakeSource());
    await expect(createStatePage({ source: new FakeSource(), port: page.port })).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${page.port}: port already in use`));
  });

  it('serves a self-contained page: inline script and style, no URL to anywhere', async () => {
    const page = await openPage(new FakeSource());
    for (const path of ['', 'index.html']) {
      const answer = await get(`${page.url}${path}`);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
      expect(answer.headers['content-security-policy']).toContain("connect-src 'self'");
      const html = answer.body;
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).not.toMatch(/https?:\/\//i);
      expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}\//i); // protocol-relative URLs
      expect(html).not.toMatch(/<script[^>]*\bsrc\s*=/i);
      expect(html).not.toMatch(/<link\b/i);
      expect(html).not.toMatch(/@import|url\(\s*['"]?(?!#)/i);
      // Exactly one inline script, and it is valid JavaScript.
      const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]!);
      expect(scripts).toHaveLength(1);
      expect(() => new Script(scripts[0]!)).not.toThrow();
      expect(scripts[0]).toContain("new EventSource('events')");
    }
  });

  it('serves the current view as /state.json', async () => {
    const source = new FakeSource();
    const page = await openPage(source);
    const answer = await get(`${page.url}state.json`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    const view = JSON.parse(answer.body) as PageView;
    expect(view.title).toBe('fake agent <b>');
    expect(view.machines).toEqual([sessionGraph]);
    expect(view.events).toEqual(source.events);
    expect(view.tree).toMatchObject({ id: 'supervisor', machine: 'supervisor', state: 'connected', paths: ['', 'connected'], details: { activeServer: 'srv.example', pingPort: 8670 } });
    expect(view.tree.inStateMs).toBeGreaterThanOrEqual(5_000);
    const [session, probe, oddity] = view.tree.children;
    expect(session).toMatchObject({ id: 'session', state: 'online.registered', paths: ['', 'online', 'online.registered'], details: { server: 'srv.example', registrations: 1 } });
    expect(probe).toEqual({ id: 'probe', status: 'active', paths: [], details: {}, children: [] });
    // A machine detailsOf does not know shows its context's plain fields.
    expect(oddity!.details).toEqual({ note: 'plain', n: 3, flag: true });
  });

  it('streams the view at once, then after each change; machines only once', async () => {
    const source = new FakeSource();
    const page = await openPage(source);
    const stream = await openStream(page.url);
    expect(stream.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const [first] = await stream.waitForViews(1);
    expect(first!.machines).toEqual([sessionGraph]);
    expect(first!.tree.children[0]!.paths).toEqual(['', 'online', 'online.registered']);
    expect(stream.raw()).toMatch(/^retry: \d+\n\n/);
    expect(source.listeners.size).toBe(1);

    source.change('connecting');
    const views = await stream.waitForViews(2);
    expect(views[1]!.machines).toBeUndefined();
    expect(views[1]!.tree.children[0]).toMatchObject({ state: 'connecting', paths: ['', 'connecting'] });
    expect(views[1]!.events.at(-1)).toMatchObject({ actor: 'session', type: '"connecting"' });

    // Changed machine definitions go out again.
    source.machines = [sessionGraph, { ...sessionGraph, id: 'other' }];
    source.change({ online: 'registering' });
    const third = (await stream.waitForViews(3))[2]!;
    expect(third.machines?.map((m) => m.id)).toEqual(['session', 'other']);
    expect(third.tree.children[0]!.paths).toEqual(['', 'online', 'online.registering']);
  });

  it('throttles a burst of changes to a few views', async () => {
    const source = new FakeSource();
    const page = await openPage(source, { throttleMs: 100 });
    const stream = await openStream(page.url);
    await stream.waitForViews(1);
    const start = Date.now();
    for (let i = 0; i < 50; i++) {
      source.change(`s${i}`);
      await sleep(2);
    }
    await sleep(350);
    const elapsed = Date.now() - start;
    const updates = stream.views.length - 1;
    expect(updates).toBeGreaterThanOrEqual(1);
    expect(updates).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
    // The last change is always shown.
    expect(stream.views.at(-1)!.tree.children[0]!.state).toBe('s49');
  });

  it('pings with a comment, and forgets a client that goes', async () => {
    const source = new FakeSource();
    const page = await openPage(source, { pingIntervalMs: 40 });
    const stream = await openStream(page.url);
    await stream.waitForViews(1);
    await sleep(150);
    expect(stream.comments).toContain(': ping');
    expect(source.listeners.size).toBe(1);
    stream.close();
    await stream.ended;
    for (let i = 0; i < 50 && source.listeners.size > 0; i++) await sleep(10);
    expect(source.listeners.size).toBe(0);
    const views = source.views;
    source.change('later');
    await sleep(250);
    expect(source.views).toBe(views);
  });

  it('close() ends the event streams and stops listening', async () => {
    const source = new FakeSource();
    const page = await createStatePage({ source, port: 0 });
    const streams = [await openStream(page.url), await openStream(page.url)];
    for (const stream of streams) await stream.waitForViews(1);
    expect(source.listeners.size).toBe(2);
    await page.close();
    await Promise.all(streams.map((stream) => stream.ended));
    expect(source.listeners.size).toBe(0);
    expect(await refused('127.0.0.1', page.port)).toBe(true);
    await page.close(); // twice is fine
  });

  it('answers 404 to other paths, 405 to other methods, 421 to other Host names', async () => {
    const page = await openPage(new FakeSource());
    for (const path of ['nope', 'state', 'events/x', 'state.json/', '..%2f']) {
      expect((await get(`${page.url}${path}`)).status, path).toBe(404);
    }
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const answer = await get(`${page.url}state.json`, { method });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
    }
    const rebound = await get(page.url, { headers: { host: `attacker.example:${page.port}` } });
    expect(rebound.status).toBe(421);
    expect((await get(page.url, { headers: { host: `localhost:${page.port}` } })).status).toBe(200);
    // A query string does not change the resource.
    expect((await get(`${page.url}state.json?x=1`)).status).toBe(200);
  });

  it('answers 500 when the view cannot be taken, and keeps the stream open', async () => {
    const source = new FakeSource();
    const page = await openPage(source);
    const stream = await openStream(page.url);
    await stream.waitForViews(1);
    const view = source.view.bind(source);
    source.view = () => {
      throw new Error('broken');
    };
    expect((await get(`${page.url}state.json`)).status).toBe(500);
    source.change('x');
    await sleep(200);
    source.view = view;
    source.change('y');
    const views = await stream.waitForViews(2);
    expect(views[1]!.tree.children[0]!.state).toBe('y');
  });
});

describe('wire format', () => {
  it('derives the active paths from a state value', () => {
    expect(activePaths(undefined)).toEqual([]);
    expect(activePaths('idle')).toEqual(['', 'idle']);
    expect(activePaths({ online: 'registered' })).toEqual(['', 'online', 'online.registered']);
    expect(activePaths({ a: { b: 'c' } })).toEqual(['', 'a', 'a.b', 'a.b.c']);
    expect(activePaths({ left: 'x', right: { y: 'z' } })).toEqual(['', 'left', 'left.x', 'right', 'right.y', 'right.y.z']);
    expect(activePaths({ empty: {} })).toEqual(['', 'empty']);
  });

  it('keeps at most 200 events, oldest first, and leaves machines out on request', () => {
    const source = new FakeSource();
    source.events = Array.from({ length: 250 }, (_, i) => ({ t: i, actor: 'a', kind: 'event' as const, type: `E${i}` }));
    const view = pageView(source.view(), false);
    expect(view.events).toHaveLength(200);
    expect(view.events[0]!.type).toBe('E50');
    expect(view.events.at(-1)!.type).toBe('E249');
    expect(view.machines).toBeUndefined();
  });
});

// ------------------------------------------------------------------------------------------
// The diagrams' layout, run in Node (it needs no DOM)

type Diagram = (graph: MachineGraph, index: number) => { svg: string; notes: string[] };
const diagram = new Function(`'use strict';\n${DIAGRAM_SCRIPT}\nreturn diagram;`)() as Diagram;

interface Box {
  path: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

function boxes(svg: string): Map<string, Box> {
  const found = new Map<string, Box>();
  for (const match of svg.matchAll(/data-path="([^"]*)"><title>[\s\S]*?<\/title><rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)) {
    found.set(match[1]!, { path: match[1]!, x: Number(match[2]), y: Number(match[3]), w: Number(match[4]), h: Number(match[5]) });
  }
  return found;
}

const overlap = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const within = (inner: Box, outer: Box) => inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;

const parallelGraph: MachineGraph = {
  id: 'par',
  root: {
    key: '',
    path: '',
    type: 'parallel',
    invokes: [],
    transitions: [],
    children: ['left', 'right'].map((region) => ({
      key: region,
      path: region,
      type: 'compound' as const,
      initial: 'a',
      invokes: [],
      transitions: [],
      children: ['a', 'b', 'c'].map((key, i, all) => ({
        key,
        path: `${region}.${key}`,
        type: 'atomic' as const,
        children: [],
        invokes: [],
        transitions: i < all.length - 1 ? [{ event: `NEXT_${key}`, targets: [`${region}.${all[i + 1]}`] }, { event: 'xstate.after.5000.par.x', targets: [`${region}.a`] }] : [],
      })),
    })),
  },
};

describe('diagram layout', () => {
  it('draws every state, siblings apart, children inside their containers', () => {
    for (const graph of [sessionGraph, hostGraph(10_000), taskGraph(), parallelGraph]) {
      const { svg } = diagram(graph, 0);
      const drawn = boxes(svg);
      const paths: string[] = [];
      const walk = (node: MachineGraph['root'], parent?: string) => {
        paths.push(node.path);
        if (parent !== undefined) expect(within(drawn.get(node.path)!, drawn.get(parent)!), `${graph.id}: ${node.path} in ${parent}`).toBe(true);
        const siblings = node.children.map((child) => drawn.get(child.path)!);
        siblings.forEach((a, i) => siblings.slice(i + 1).forEach((b) => expect(overlap(a, b), `${graph.id}: ${a.path} / ${b.path}`).toBe(false)));
        node.children.forEach((child) => walk(child, node.path));
      };
      walk(graph.root);
      expect([...drawn.keys()].sort()).toEqual(paths.sort());
      expect(svg).toMatch(/^<svg [^>]*viewBox="[-\d.]+ [-\d.]+ [\d.]+ [\d.]+"/);
      expect(svg).not.toContain('url(#MARK)');
    }
  });

  it('labels the agent\'s machines as `ambari-agent machines` does (the graph\'s labels), guards included', () => {
    const { svg } = diagram(machineGraph(sessionMachine), 0);
    expect(svg).toContain('>done(connect)<');
    expect(svg).not.toContain('>done: connect<');
    const queue = diagram(machineGraph(actionQueueMachine), 1).svg;
    expect(queue).toContain('always [idle]');
  });

  it('draws one arrow per source and target, labelled with all their events; root transitions as notes', () => {
    const { svg, notes } = diagram(sessionGraph, 3);
    // connecting→online, online→connecting, registering→registered, and the initial arrows of the root and of online.
    expect(svg.match(/<g class="edge">/g)).toHaveLength(5);
    expect(svg).toContain('>done: connect<'); // xstate.done.actor.connect, shortened
    expect(svg).toContain('>LINK.LOST<');
    expect(svg).toContain('url(#ah3)');
    expect(notes).toEqual(['from any state: STOP \u2192 ended']);
    const host = diagram(hostGraph(10_000), 0).svg;
    expect(host).toContain('>after 30000ms [no heartbeat]<');
    expect(diagram(parallelGraph, 0).svg).toContain('after 5000ms');
  });

  it('says what a state means in its tooltip (the machine\'s description), escaped', () => {
    const { svg } = diagram(machineGraph(sessionMachine), 0);
    const registered = /data-path="online\.registered"><title>([^<]*)<\/title>/.exec(svg)?.[1] ?? '';
    expect(registered.split('\n').slice(0, 2)).toEqual(['online.registered', sessionMachine.root.states.online!.states.registered!.description]);
    const graph: MachineGraph = { id: 'd', root: { key: '', path: '', type: 'compound', initial: 'a', invokes: [], transitions: [], children: [
      { key: 'a', path: 'a', type: 'atomic', description: 'waits for <b>', children: [], invokes: [], transitions: [] },
    ] } };
    expect(diagram(graph, 0).svg).toContain('waits for &lt;b&gt;');
  });

  it('escapes names and events', () => {
    const graph: MachineGraph = {
      id: '<svg onload=x>',
      root: { key: '', path: '', type: 'compound', initial: '<a>', invokes: ['"q"'], transitions: [], children: [
        { key: '<a>', path: '<a>', type: 'atomic', children: [], invokes: ['<i>'], transitions: [{ event: '<img src=x>', targets: ['b&'] }] },
        { key: 'b&', path: 'b&', type: 'final', children: [], invokes: [], transitions: [] },
      ] },
    };
    const { svg } = diagram(graph, 0);
    expect(svg).not.toMatch(/<(a|i|img|svg onload)[ >]/);
    expect(svg).toContain('&lt;img src=x&gt;');
    expect(svg).toContain('data-path="b&amp;"');
  });
});

// ------------------------------------------------------------------------------------------
// The dev server's source

describe('dev server state source', () => {
  const request: CommandRequest = { role: 'ZOOKEEPER_SERVER', command: 'START', script: '/x.py', script_type: 'PYTHON', timeout: 60, params: {}, service_name: 'ZOOKEEPER' };

  it('shows hosts and their tasks, their states and details, and logs what happened', async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const hosts = new HostRegistry(1_000, now);
    const tasks = new TaskStore(now);
    const state = createServerState({ hosts, tasks, heartbeatIntervalMs: 1_000, describe: () => ({ apiPort: 8080 }), now });
    cleanups.push(() => state.close());
    let notified = 0;
    state.source.subscribe(() => notified++);

    expect(state.source.view().tree).toMatchObject({ id: 'devServer', machine: 'devServer', state: 'serving', context: { apiPort: 8080, hosts: 0, tasks: 0 }, children: [] });
    expect(state.source.view().machines.map((m) => m.id)).toEqual(['host', 'task']);

    hosts.register('h1.test', { agentVersion: '3.0.0' }, 'c1');
    clock += 500;
    hosts.heartbeat('h1.test');
    clock += 100;
    hosts.heartbeat('h1.test');
    const task = tasks.create('h1.test', request);
    clock += 100;
    tasks.markSent([task]);
    clock += 100;
    tasks.applyReport('h1.test', { taskId: task.task_id, status: 'IN_PROGRESS' });
    clock += 100;
    tasks.applyReport('h1.test', { taskId: task.task_id, status: 'COMPLETED', exitcode: 0 });

    await sleep(5);
    expect(notified).toBeGreaterThan(0);
    const view = state.source.view();
    const host = view.tree.children[0]!;
    expect(host).toMatchObject({
      id: 'h1.test',
      machine: 'host',
      status: 'active',
      state: 'heartbeating',
      since: 1_000_500,
      context: { responseId: 2, heartbeats: 2, connected: true, agentVersion: '3.0.0', tasks: 1, lastHeartbeat: new Date(1_000_600).toISOString() },
    });
    expect(host.children).toEqual([
      { id: taskActorId(task.task_id), machine: 'task', status: 'done', state: 'COMPLETED', since: clock, context: { command: 'START ZOOKEEPER_SERVER', script: 'PYTHON', exitCode: 0 }, children: [] },
    ]);
    const lines = view.events.map((e) => `${e.actor} ${e.kind} ${e.type}${e.detail ? ` (${e.detail})` : ''}`);
    expect(lines).toEqual([
      'h1.test event REGISTER (connection c1)',
      'h1.test state registered',
      'h1.test state heartbeating (registered)',
      'task-1 event CREATED (START ZOOKEEPER_SERVER on h1.test)',
      'task-1 state PENDING',
      'task-1 state QUEUED (PENDING)',
      'task-1 state IN_PROGRESS (QUEUED)',
      'task-1 state COMPLETED (IN_PROGRESS)',
    ]);

    // Lost after 3 silent intervals; back on re-registration; a closed connection is logged.
    clock += 3_500;
    hosts.sweep();
    expect(state.source.view().tree.children[0]).toMatchObject({ state: 'lost', since: clock });
    hosts.connectionClosed('c1', 'h1.test');
    clock += 10;
    hosts.register('h1.test', {}, 'c2');
    const after = state.source.view();
    expect(after.tree.children[0]).toMatchObject({ state: 'registered', since: clock, context: { connected: true } });
    expect(after.events.slice(-4).map((e) => `${e.kind} ${e.type}${e.detail ? ` (${e.detail})` : ''}`)).toEqual([
      'state lost (heartbeating)',
      'event DISCONNECTED',
      'event REGISTER (connection c2)',
      'state registered (lost)',
    ]);

    // The page's view of it: the state paths the diagrams highlight, details from the context.
    const wire = pageView(after);
    expect(wire.tree.children[0]).toMatchObject({ paths: ['', 'registered'], details: { responseId: 0, connected: true } });
    expect(wire.tree.children[0]!.children[0]).toMatchObject({ paths: ['', 'COMPLETED'], details: { command: 'START ZOOKEEPER_SERVER', exitCode: 0 } });

    // Every state of the graphs is a state the records can be in, and every target exists.
    for (const graph of after.machines) {
      const keys = graph.root.children.map((child) => child.key);
      for (const child of graph.root.children) for (const t of child.transitions) for (const target of t.targets) expect(keys).toContain(target);
    }
    expect(after.machines[0]!.root.children.map((c) => c.key)).toEqual(['registered', 'heartbeating', 'lost']);
    expect(after.machines[1]!.root.children.map((c) => c.key)).toEqual(['PENDING', 'QUEUED', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'TIMEDOUT', 'ABORTED']);
  });

  it('keeps the last 200 events and stops listening when closed', () => {
    const hosts = new HostRegistry(1_000);
    const tasks = new TaskStore();
    const state = createServerState({ hosts, tasks, heartbeatIntervalMs: 1_000, describe: () => ({}) });
    for (let i = 0; i < 150; i++) hosts.register(`h${i}.test`, {}, `c${i}`);
    const events = state.source.view().events;
    expect(events).toHaveLength(200);
    expect(events.at(-1)).toMatchObject({ actor: 'h149.test', kind: 'state', type: 'registered' });
    state.close();
    hosts.register('late.test', {}, 'c');
    expect(state.source.view().events.at(-1)).toMatchObject({ actor: 'h149.test' });
  });

  it('is served by the dev server with statePage', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aa-statepage-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const server = await startLoopbackDevServer(dataDir, { statePage: { port: 0 } });
    cleanups.push(() => server.close());
    expect(server.statePage?.url).toBe(`http://127.0.0.1:${server.statePage!.port}/`);
    server.hosts.register('in-process.test', {}, 'c1');
    const view = JSON.parse((await get(`${server.statePage!.url}state.json`)).body) as PageView;
    expect(view.title).toBe('ambari-dev-server');
    expect(view.tree).toMatchObject({ id: 'devServer', state: 'serving', details: { apiPort: server.apiPort, urlPort: server.urlPort, hosts: 1 } });
    expect(view.tree.children[0]).toMatchObject({ id: 'in-process.test', machine: 'host', state: 'registered' });
    expect(view.machines!.map((m) => m.id)).toEqual(['host', 'task']);

    const withoutPage = await startLoopbackDevServer(dataDir);
    cleanups.push(() => withoutPage.close());
    expect(withoutPage.statePage).toBeUndefined();
  });
});
