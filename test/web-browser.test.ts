import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestApp } from './helpers/app.ts';
import { NOW, seedHistory, seedIncident, setStatus, startDashboardApp } from './helpers/web-seed.ts';

/**
 * The dashboard in a real headless Chromium: the pages load their assets under the page's own
 * Content-Security-Policy, uPlot draws each chart into a canvas, and nothing logs an error.
 * Screenshots go to /tmp for a person to look at.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let t: TestApp;
let browser: Browser;

before(async () => {
  t = await startDashboardApp({
    providers: [
      { slug: 'acme', name: 'Acme AI', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', models: [{ slug: 'gpt-fast' }, { slug: 'gpt-large' }] },
      { slug: 'claude', name: 'Claude', kind: 'anthropic', base_url: 'http://127.0.0.1:9/v1', models: [{ slug: 'sonnet' }] },
    ],
    maintenance: [{ provider: 'acme', start: new Date(NOW - 6 * HOUR).toISOString(), end: new Date(NOW - 5 * HOUR).toISOString(), reason: 'planned upgrade' }],
  });
  const day = { from: NOW - 24 * HOUR, to: NOW, everyMs: 5 * MIN };
  await seedHistory(t, 'acme/gpt-fast', { ...day, medianMs: 450, errorRate: 0.04, rateLimitedRate: 0.03, seed: 11 });
  await seedHistory(t, 'acme/gpt-large', { ...day, medianMs: 1600, errorRate: 0.02, rateLimitedRate: 0, seed: 12 });
  await seedHistory(t, 'claude/sonnet', { ...day, medianMs: 900, errorRate: 0.01, rateLimitedRate: 0.08, seed: 13 });
  await setStatus(t, 'acme', 'degraded', NOW - 25 * MIN, { 'gpt-fast': 'degraded', 'gpt-large': 'operational' });
  await setStatus(t, 'claude', 'operational', NOW - 3 * HOUR, { sonnet: 'operational' });
  await seedIncident(t, { id: 'inc_browser000000000001', providerSlug: 'acme', title: 'Acme AI gpt-fast: major outage', models: ['gpt-fast'], startedAt: NOW - 25 * MIN, resolvedAt: null });
  assert.ok(existsSync('/usr/bin/chromium'), '/usr/bin/chromium is missing: run scripts/ensure-chromium.sh as root (npm test does it first)');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await t?.stop();
});

/** Opens a page and collects everything the browser would complain about. */
async function open(path: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  const response = await page.goto(`${t.url}${path}`, { waitUntil: 'load' });
  assert.equal(response?.status(), 200, path);
  return { page, problems };
}

test('live page renders every provider with sparklines and no browser errors', async () => {
  const { page, problems } = await open('/');
  assert.equal(await page.locator('table.live tr.provider').count(), 2);
  assert.ok((await page.locator('table.live svg.spark polyline').count()) >= 4, 'p95 and error sparklines drawn');
  assert.equal(await page.locator('meta[http-equiv="refresh"]').getAttribute('content'), '30');
  await page.screenshot({ path: '/tmp/cappulse-live.png', fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('provider page draws both charts into canvases with no browser errors', async () => {
  const { page, problems } = await open('/providers/acme?window=24h');
  await page.waitForSelector('.chart .uplot canvas');
  assert.equal(await page.locator('.chart .uplot canvas').count(), 2, 'latency and rate charts');
  // uPlot's legend names each series it drew.
  const legend = await page.locator('.chart .u-legend').allInnerTexts();
  assert.match(legend.join(' '), /p50[\s\S]*p95[\s\S]*p99/i);
  assert.match(legend.join(' '), /errors[\s\S]*rate-limited/i);
  const size = await page.locator('.chart .uplot canvas').first().boundingBox();
  assert.ok(size !== null && size.width > 200 && size.height > 100, `canvas has a real size (${JSON.stringify(size)})`);
  await page.screenshot({ path: '/tmp/cappulse-provider.png', fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('model, incident and report pages load without browser errors', async () => {
  for (const path of ['/models/gpt-fast?window=7d', '/incidents', '/incidents/inc_browser000000000001', '/reports?period=day']) {
    const { page, problems } = await open(path);
    assert.deepEqual(problems, [], path);
    if (path.startsWith('/models')) assert.equal(await page.locator('.chart .uplot canvas').count(), 2, path);
    if (path.startsWith('/incidents/')) await page.screenshot({ path: '/tmp/cappulse-incident.png', fullPage: true });
    await page.close();
  }
});
