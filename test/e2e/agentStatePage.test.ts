// The agent's own state page in a real headless browser (Debian's chromium through
// playwright-core): what README promises a newcomer. The agent starts with no server to talk
// to: the page shows it discovering (discovery waiting, its diagram highlighted); then the dev
// server comes up on the ports the agent was told, and the page shows the agent reach
// `connected` live, with its session and heartbeat. Skipped only when /usr/bin/chromium is
// missing (CI installs it).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import getPort from 'get-port';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
import { cleanup, cli, newHome, ROOT, startAgent } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(ROOT, 'test-output', 'state-page-agent.png');
const hasChromium = existsSync(CHROMIUM);

let browser: Browser | undefined;
let server: { stop(): Promise<void> } | undefined;

afterEach(cleanup);
afterAll(async () => {
  await browser?.close();
  await cleanup();
  await server?.stop();
});

const row = (actor: string) => `#tree .row[data-actor="${actor}"]`;

describe.skipIf(!hasChromium)(`the agent's state page in ${CHROMIUM}`, () => {
  it('shows the agent discovering, then connected once its server is up, live', async () => {
    const urlPort = await getPort({ host: '127.0.0.1' });
    const securedUrlPort = await getPort({ host: '127.0.0.1' });
    const home = await newHome({ servers: ['127.0.0.1'], urlPort, set: [`server.secured_url_port=${securedUrlPort}`, 'server.connect_retry_delay=1'] });
    const started = await startAgent(home, ['--status-page', '0']);
    expect(started.code, started.output).toBe(0);
    const url = /^State page: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec((await cli(['status', '--home', home])).stdout)?.[1];
    expect(url).toBeDefined();

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(url!);
    await page.waitForSelector(`${row('supervisor')}[data-state="discovering"]`, { timeout: 10_000 });
    await page.waitForSelector(`${row('discovery')}[data-state="waiting"], ${row('discovery')}[data-state="probing"]`, { timeout: 10_000 });
    expect(await page.textContent('#title')).toContain('ambari-agent');
    expect(await page.$$eval('[data-machine="supervisor"] g.st.active', (gs) => gs.map((g) => g.getAttribute('data-path')))).toEqual(['discovering']);
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    // The server comes up where the agent looks for it: the page follows, without a reload.
    server = await startDevServer({ urlPort, securedUrlPort });
    await page.waitForSelector(`${row('supervisor')}[data-state="connected"]`, { timeout: 20_000 });
    await page.waitForSelector(`${row('heartbeat')}`, { timeout: 5_000 });
    expect(await page.getAttribute(row('session'), 'data-state')).toBe('online.registered');
    expect(await page.$$eval('[data-machine="supervisor"] g.st.active', (gs) => gs.map((g) => g.getAttribute('data-path')))).toEqual(['connected']);
    const events = await page.$$eval('#events tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(events.some((cells) => cells[1] === 'supervisor' && cells[3] === 'connected' && /registering/.test(cells[4] ?? ''))).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });
});
