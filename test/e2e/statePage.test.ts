// The dev server's state page in a real headless browser (Debian's chromium through
// playwright-core): the page is opened before any agent exists; a real agent starts, and the
// page shows its host appear and change state, and a task POSTed through the API go from
// QUEUED / IN_PROGRESS to COMPLETED, live (no reload), with the machines' diagrams highlighted
// and the events listed. Nothing is fetched from anywhere but the page's own origin.
// Skipped only when /usr/bin/chromium is missing (CI installs it).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
import { cleanup, newHome, ROOT, startAgent, waitForState, type DevServer } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(ROOT, 'test-output', 'state-page-devserver.png');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) process.stderr.write(`statePage.test.ts: SKIPPED, ${CHROMIUM} is missing (install Debian's chromium to run the browser test)\n`);

let server: DevServer | undefined;
let browser: Browser | undefined;
let scriptDir: string;

beforeAll(async () => {
  if (!hasChromium) return;
  scriptDir = mkdtempSync(join(tmpdir(), 'aa-statepage-'));
  server = (await startDevServer({ statePage: true })) as DevServer;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterEach(async () => {
  await cleanup();
});

afterAll(async () => {
  await browser?.close();
  await cleanup();
  await server?.stop();
  if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
});

/** A home whose agent calls itself `name` and talks to the dev server, reporting every second. */
async function agentHome(name: string): Promise<string> {
  const script = join(scriptDir, `${name}.sh`);
  writeFileSync(script, `#!/bin/sh\necho ${name}\n`);
  chmodSync(script, 0o755);
  return newHome({
    servers: ['127.0.0.1'],
    urlPort: server!.urlPort,
    set: ['server.connect_retry_delay=1', `server.secured_url_port=${server!.securedUrlPort}`, `agent.hostname_script=${script}`, 'agent.command_reports_interval=1'],
  });
}

const row = (actor: string) => `#tree .row[data-actor="${actor}"]`;

describe.skipIf(!hasChromium)(`the dev server's state page in ${CHROMIUM}`, () => {
  it('shows a real agent register and heartbeat, and a task run to COMPLETED, live', async () => {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    const origin = new URL(server!.statePageUrl!).origin;
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    await page.goto(server!.statePageUrl!);
    await page.waitForSelector(row('devServer'));
    expect(await page.textContent('#title')).toBe('ambari-dev-server');
    expect(await page.textContent('#conn')).toBe('live');
    expect(await page.$$eval('.machine-block', (blocks) => blocks.map((b) => b.getAttribute('data-machine')))).toEqual(['host', 'task']);
    // Nothing registered yet.
    expect(await page.$$eval('#tree .row', (rows) => rows.length)).toBe(1);
    // A marker that a reload would lose: everything below must come over the event stream.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    // A real agent: its host appears and goes registered → heartbeating.
    const host = `statepage-${process.pid}.test`;
    const home = await agentHome(host);
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    await waitForState(home, 'connected', 15_000);
    await page.waitForSelector(`${row(host)}[data-state="heartbeating"]`, { timeout: 15_000 });
    expect(await page.textContent(`${row(host)} .machine`)).toBe('host');
    expect(await page.textContent(row(host))).toMatch(/responseId=\d+/);
    expect(await page.textContent(row(host))).toContain('connected=true');
    // The host diagram highlights heartbeating, and only it.
    expect(await page.$$eval('[data-machine="host"] g.st.active', (gs) => gs.map((g) => g.getAttribute('data-path')))).toEqual(['heartbeating']);
    // The events list the registration and the change, newest first.
    const events = await page.$$eval('#events tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    const hostEvents = events.filter((cells) => cells[1] === host).map((cells) => `${cells[2]} ${cells[3]} ${cells[4]}`.trim());
    expect(hostEvents).toContain('state heartbeating from registered');
    expect(hostEvents).toContain('state registered');
    expect(hostEvents.indexOf('state heartbeating from registered')).toBeLessThan(hostEvents.indexOf('state registered'));
    expect(events[0]![0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);

    // Time in state ticks between updates.
    const before = await page.textContent(`${row('devServer')} .dur`);
    await page.waitForTimeout(1_300);
    const after = await page.textContent(`${row('devServer')} .dur`);
    expect(before).toMatch(/^for /);
    expect(after).not.toBe(before);

    // A task through the API: it shows up under the host and runs to COMPLETED.
    const commandDir = join(scriptDir, 'commands');
    mkdirSync(commandDir, { recursive: true });
    const script = join(commandDir, 'slow.sh');
    writeFileSync(script, '#!/bin/sh\necho "working"\nsleep 2\necho "done"\n');
    chmodSync(script, 0o755);
    const created = await server!.api(`/api/v1/hosts/${host}/commands`, { role: 'TEST_CLIENT', command: 'INSTALL', script, script_type: 'SHELL', timeout: 30 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const task = `task-${created.body.task_id}`;
    await page.waitForSelector(`${row(task)}[data-state="IN_PROGRESS"], ${row(task)}[data-state="QUEUED"]`, { timeout: 10_000 });
    // While it runs, the task diagram highlights the row's state. Both are read in one go (the
    // task can move from QUEUED to IN_PROGRESS between two reads) and the page is given until
    // they agree on a running state.
    const running = await page.waitForFunction(
      (selector) => {
        const state = document.querySelector(selector)?.getAttribute('data-state');
        const active = [...document.querySelectorAll('[data-machine="task"] g.st.active')].map((g) => g.getAttribute('data-path'));
        return (state === 'QUEUED' || state === 'IN_PROGRESS') && active.length === 1 && active[0] === state ? state : false;
      },
      row(task),
      { timeout: 10_000 },
    );
    expect(['QUEUED', 'IN_PROGRESS']).toContain(await running.jsonValue());
    await page.waitForSelector(`${row(task)}[data-state="COMPLETED"]`, { timeout: 20_000 });
    expect(await page.textContent(row(task))).toContain('command=INSTALL TEST_CLIENT');
    expect(await page.textContent(row(task))).toContain('exitCode=0');
    // The task row sits under its host.
    expect(await page.$eval(row(task), (el) => el.closest('ul')?.parentElement?.querySelector(':scope > .row')?.getAttribute('data-actor'))).toBe(host);
    expect(await page.$$eval('[data-machine="task"] g.st.active', (gs) => gs.map((g) => g.getAttribute('data-path')))).toEqual(['COMPLETED']);
    const taskEvents = await page.$$eval('#events tr', (rows, id) => rows.filter((r) => r.children[1]?.textContent === id).map((r) => `${r.children[3]?.textContent} ${r.children[4]?.textContent}`.trim()), task);
    expect(taskEvents[0]).toMatch(/^COMPLETED from (QUEUED|IN_PROGRESS)$/);
    expect(taskEvents).toContain('QUEUED from PENDING');
    expect(taskEvents.at(-1)).toBe(`CREATED INSTALL TEST_CLIENT on ${host}`);

    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);

    // Only the page's own origin was ever asked for anything; the page ran without errors.
    expect(requests.length).toBeGreaterThan(0);
    for (const url of requests) expect(url.startsWith(`${origin}/`), url).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });
});
