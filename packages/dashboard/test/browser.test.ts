import { request } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '@drawdown/core';
import { startGateway, type Gateway } from '@drawdown/gateway';
import { dashboardRoutes, startDashboard, type Dashboard } from '../src/index.js';
import { demoHub, SECRET_KEY, seedDemo } from './fixtures/demo-hub.js';
import {
  type PageElement,
  type PageGlobals,
  shownText,
  startSettleChild,
  tempLedger,
  type SettleChild,
} from './helpers.js';
import { chromiumArgs, chromiumAvailable, chromiumPath } from '../../../test-support/services.js';

const CHROMIUM = chromiumPath;
const ARGS = chromiumArgs;
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');

const haveBrowser = chromiumAvailable('the dashboard browser tests');

describe.skipIf(!haveBrowser)('the dashboard in Chromium (playwright-core)', () => {
  let file: string;
  let hub: Hub;
  let dashboard: Dashboard;
  let context: BrowserContext;
  let child: SettleChild | undefined;
  const problems: string[] = [];

  /** A page that records console errors and uncaught exceptions into `problems`. */
  async function open(url: string, width = 1280, height = 900): Promise<Page> {
    const page = await context.newPage();
    await page.setViewportSize({ width, height });
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`${url}: console: ${m.text()}`)));
    page.on('pageerror', (e) => problems.push(`${url}: page error: ${e.message}`));
    await page.goto(url);
    await page.locator('[data-pool="credits"]').waitFor();
    await page.locator('#chart canvas').waitFor();
    return page;
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    file = tempLedger();
    hub = await demoHub(file);
    await seedDemo(hub);
    dashboard = await startDashboard({ hub, writes: true });
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'drawdown-chromium-')), {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
    });
  });
  afterAll(async () => {
    await child?.close();
    await context?.close();
    await dashboard?.close();
    await hub?.close();
    await hub?.store.close();
  });

  it("shows the demo's pools with their bars, the route and why, spend, requests and alerts", async () => {
    const page = await open(dashboard.url);
    const cards = page.locator('article.pool');
    expect(await cards.evaluateAll((nodes) => nodes.map((n) => (n as unknown as PageElement).dataset.pool))).toEqual([
      'trial',
      'plan',
      'credits',
    ]);
    const trial = page.locator('[data-pool="trial"]');
    expect(await shownText(trial.locator('.balance'))).toMatch(/\$6\.34\s*left of \$10\.00/);
    expect(await trial.locator('[role="progressbar"]').getAttribute('aria-valuenow')).toBe('37');
    expect(await shownText(page.locator('[data-pool="credits"] .facts'))).toMatch(
      /monthly spend limit\s+\$0\.875 \/ \$100\.00 · resets/,
    );
    expect(await shownText(page.locator('#route-next'))).toMatch(
      /Next request → trial.*\$6\.34 of \$10\.00 trial budget left/,
    );
    expect(await page.locator('#route li').count()).toBe(3);
    expect(await shownText(page.locator('[data-pool="plan"] .balance'))).toMatch(/71%\s*used/);
    expect(await page.locator('#recent tbody tr').count()).toBe(8);
    expect(await shownText(page.locator('#spend-total'))).toMatch(/over the last 14 days \(UTC\)/);
    expect(await page.content()).not.toContain(SECRET_KEY);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    await page.close();
  });

  it('works at a narrow, 80-column-ish width', async () => {
    const page = await open(dashboard.url, 640, 900);
    // Nothing wider than the window: no sideways scrolling of the page itself.
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(640);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-narrow.png'), fullPage: true });
    await page.close();
  });

  it('shows a settle made by another process within a second, live over server-sent events', async () => {
    const page = await open(dashboard.url);
    child = await startSettleChild(file);
    // The page notes the instant the trial card's balance changes; the child notes when its charge committed.
    await page.evaluate(() => {
      const window = globalThis as unknown as PageGlobals;
      const balance = window.document.querySelector('[data-pool="trial"] .balance')!;
      const before = balance.textContent;
      new window.MutationObserver(() => {
        if (balance.textContent !== before && !window.__changedAt) window.__changedAt = Date.now();
      }).observe(balance, { childList: true, subtree: true, characterData: true });
    });
    const { ack, costUsd } = await child.settle({
      requestId: 'browser-live-1',
      entry: 'trial',
      model: 'claude-sonnet-4-5',
      input: 100_000,
      output: 20_000,
    });
    expect(costUsd).toBe('0.6');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__changedAt !== undefined, undefined, {
      timeout: 10_000,
    });
    const changedAt = await page.evaluate(() => (globalThis as unknown as PageGlobals).__changedAt!);
    const latencyMs = changedAt - ack;
    writeFileSync(join(ARTIFACTS, 'live-latency.json'), `${JSON.stringify({ latencyMs, ack, changedAt }, null, 2)}\n`);
    console.log(`dashboard: another process's settle reached the page ${latencyMs} ms after it committed`);
    expect(await shownText(page.locator('[data-pool="trial"] .balance'))).toMatch(/\$5\.74\s*left/);
    expect(await shownText(page.locator('#recent tbody tr').first())).toMatch(
      /trial.*claude-sonnet-4-5.*100,000 \/ 20,000.*\$0\.60/s,
    );
    // Generous slack for a loaded machine; the figure itself is reported above.
    expect(latencyMs).toBeLessThan(5_000);
    await page.close();
  });

  it('reaches every pool card and control with Tab, in reading order, with a visible focus ring', async () => {
    const page = await open(dashboard.url);
    const order: string[] = [];
    for (let i = 0; i < 16; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const window = globalThis as unknown as PageGlobals;
        const el = window.document.activeElement;
        const style = window.getComputedStyle(el);
        const name = el.dataset.pool
          ? `pool:${el.dataset.pool}`
          : el.tagName === 'BUTTON'
            ? `button:${el.textContent}`
            : el.tagName === 'INPUT'
              ? `radio:${el.value}`
              : el.getAttribute('role') === 'region'
                ? 'region:recent'
                : `${el.tagName.toLowerCase()}:${el.textContent?.trim().slice(0, 20)}`;
        return { name, outline: style.outlineStyle, width: style.outlineWidth };
      });
      order.push(focused.name);
      if (focused.name.startsWith('pool:')) expect(focused.outline, `${focused.name} shows focus`).not.toBe('none');
    }
    expect(order.slice(0, 8)).toEqual([
      'a:Skip to pools',
      'pool:trial',
      'pool:plan',
      'pool:credits',
      'button:Add funds…',
      'button:Auto-reload…',
      'radio:byModel',
      'region:recent',
    ]);
    // Arrow keys switch the chart's split like any radio group.
    await page.focus('input[value="byModel"]');
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('input[value="byRoute"]').isChecked()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-focus.png') });
    await page.close();
  });

  it('adds funds from the keyboard after confirming the same question the MCP tool asks', async () => {
    const page = await open(dashboard.url);
    await page.locator('[data-pool="credits"] button', { hasText: 'Add funds' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#write-dialog input[name="amountUsd"]').fill('3.00');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => shownText(page.locator('#write-question')))
      .toMatch(/Add \$3\.00 to "credits"\? Your payment method is charged now\./);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-confirm.png') });
    await page.locator('#write-ok').click();
    await expect.poll(() => shownText(page.locator('#write-result'))).toMatch(/\$3\.00|succeeded|added/i);
    await expect.poll(() => shownText(page.locator('#alerts'))).toMatch(/\$3\.00/);
    await page.close();
  });

  it("is served by the gateway at /dashboard, behind the gateway's guard", async () => {
    const { routes, close } = dashboardRoutes(hub);
    const gateway: Gateway = await startGateway({ hub, routes });
    try {
      const page = await open(`${gateway.url}/dashboard`);
      expect(await page.locator('article.pool').count()).toBe(3);
      await page.close();
      const rebinding = await new Promise<number>((resolve, reject) =>
        request(`${gateway.url}/dashboard/api/snapshot`, { headers: { host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on('error', reject)
          .end(),
      );
      expect(rebinding).toBe(403);
    } finally {
      close();
      await gateway.close();
    }
  });

  it('logged no console errors on any page', () => {
    expect(problems).toEqual([]);
  });
});
