import { request } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '@drawdown/core';
import { meteredRequestIds, readClaudeCodeUsage } from '@drawdown/core/claude-logs';
import { startGateway, type Gateway } from '@drawdown/gateway';
import {
  dashboardRoutes,
  startDashboard,
  type Dashboard,
  type DashboardSnapshot,
  type ObservedSource,
} from '../src/index.js';
import { demoHub, SECRET_KEY, seedDemo } from './fixtures/demo-hub.js';
import {
  type PageElement,
  type PageGlobals,
  recentClaudeLogs,
  shownText,
  startSettleChild,
  tempLedger,
  type SettleChild,
} from './helpers.js';
import { chromiumArgs, chromiumAvailable, chromiumPath } from '../../../test-support/services.js';

const CHROMIUM = chromiumPath;
const ARGS = chromiumArgs;
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');
/** The real recorded session logs, read by the core log reader, less what `ledger` metered. */
function claudeLogs(ledger?: Hub): ObservedSource {
  const dir = recentClaudeLogs();
  return async (range) =>
    readClaudeCodeUsage({
      env: { CLAUDE_CONFIG_DIR: dir },
      ...range,
      cacheFile: join(dir, 'cache.json'),
      ...(ledger && { metered: await meteredRequestIds(ledger.store) }),
    });
}

/** One date-time format on the page: "Dec 3, 14:05". */
const STAMP = /^[A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2}$/;

const haveBrowser = chromiumAvailable('the dashboard browser tests');

describe.skipIf(!haveBrowser)('the dashboard in Chromium (playwright-core)', () => {
  let file: string;
  let hub: Hub;
  let dashboard: Dashboard;
  let context: BrowserContext;
  let child: SettleChild | undefined;
  const problems: string[] = [];

  /** A page that records console errors and uncaught exceptions into `problems`. */
  async function open(url: string, width = 1280, height = 900, ready = '[data-pool="credits"]'): Promise<Page> {
    const page = await context.newPage();
    await page.setViewportSize({ width, height });
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`${url}: console: ${m.text()}`)));
    page.on('pageerror', (e) => problems.push(`${url}: page error: ${e.message}`));
    await page.goto(url);
    await page.locator(ready).waitFor();
    await page.locator('#chart canvas').waitFor();
    return page;
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    file = tempLedger();
    hub = await demoHub(file);
    await seedDemo(hub);
    dashboard = await startDashboard({ hub, writes: true, observed: claudeLogs(hub) });
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
    // Cents on the page; labels say what each number is: spend against a cap, the wallet's balance as a balance.
    expect(await shownText(page.locator('[data-pool="credits"] .facts'))).toMatch(
      /monthly spend limit\s+\$0\.88 spent of \$100\.00 · resets/,
    );
    expect(await shownText(page.locator('#route-next'))).toMatch(
      /Next request → trial.*\$6\.34 of \$10\.00 trial budget left/,
    );
    expect(await page.locator('#route li').count()).toBe(3);
    expect(await shownText(page.locator('[data-pool="plan"] .balance'))).toMatch(/71%\s*used/);
    expect(await page.locator('#recent tbody tr').count()).toBe(8);
    expect(await shownText(page.locator('#spend-total'))).toMatch(
      /^metered \$[\d.]+ · Claude Code \$0\.13 \(observed, not enforced\) over the last 14 days \(UTC\)$/,
    );
    expect(await page.content()).not.toContain(SECRET_KEY);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    await page.close();
  });

  it('shows amounts in cents with the exact amount on hover, and the credit balance as a balance', async () => {
    const page = await open(dashboard.url);
    const snapshot = (await (await fetch(`${dashboard.url}api/snapshot`)).json()) as DashboardSnapshot;
    const credits = snapshot.pools.find((p) => p.id === 'credits')!;
    const details = credits.details as { balanceUsd: string };
    const balanceRow = page.locator('[data-pool="credits"] .facts dd', { hasText: 'balance of' });
    const shown = page.locator('[data-pool="credits"] .facts dt', { hasText: 'credit balance' });
    expect(await shown.count()).toBe(1);
    const [whole, frac = ''] = details.balanceUsd.split('.');
    expect(await balanceRow.locator('.money').first().getAttribute('title')).toBe(`$${whole}.${frac.padEnd(2, '0')}`);
    expect(await shownText(balanceRow)).toMatch(/^\$[\d,]+\.\d\d balance of \$[\d,]+\.\d\d added/);
    // No amount on the page shows more than cents.
    const amounts = await page.locator('.money').allInnerTexts();
    expect(amounts.length).toBeGreaterThan(10);
    for (const amount of amounts) expect(amount).toMatch(/^(<|−)?\$[\d,]+\.\d\d$/);
    // The observed block says what it is and what rests on unconfirmed prices.
    expect(await shownText(page.locator('#observed-block'))).toMatch(/observed, not enforced/);
    expect(await shownText(page.locator('#observed-block'))).toMatch(
      /\$0\.01 of it at prices marked \[U\] \(claude-fable-5-2\)/,
    );
    await page.close();
  });

  it('uses one date-time format, in the configured zone, and event times on alerts', async () => {
    const page = await open(dashboard.url);
    expect(await shownText(page.locator('#clock'))).toMatch(/^as of [A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2} \(UTC\)$/);
    for (const text of await page.locator('#recent td.col-time, #alerts time').allInnerTexts())
      expect(text).toMatch(STAMP);
    const snapshot = (await (await fetch(`${dashboard.url}api/snapshot`)).json()) as DashboardSnapshot;
    const eventTimes = new Set(snapshot.alerts.map((a) => a.at));
    for (const datetime of await page
      .locator('#alerts time')
      .evaluateAll((nodes) => nodes.map((n) => (n as unknown as PageElement).getAttribute('datetime'))))
      expect(eventTimes.has(datetime!), `${datetime} is an event's time`).toBe(true);
    await page.close();
  });

  it('shows the values under the cursor, and its day axis ends today', async () => {
    const page = await open(dashboard.url);
    const plot = page.locator('#chart .u-over');
    const box = (await plot.boundingBox())!;
    // The right edge of the plot is half a day past today's bar: still today, never tomorrow.
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
    const legend = page.locator('#chart .u-legend');
    const today = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
      new Date(),
    );
    await expect.poll(() => shownText(legend)).toContain(today);
    const values = await page.locator('#chart .u-legend .u-value').allInnerTexts();
    expect(values.filter((v) => /^\$\d/.test(v)).length).toBeGreaterThan(0);
    expect(await shownText(legend)).toMatch(/Claude Code \(observed\)/);
    await page.close();
  });

  it('keeps each route state apart from the entry it names', async () => {
    const page = await open(dashboard.url);
    for (const item of await page.locator('#route li').all()) {
      const badge = (await item.locator('.badge').boundingBox())!;
      const entry = (await item.locator('strong').boundingBox())!;
      expect(entry.x - (badge.x + badge.width)).toBeGreaterThanOrEqual(4);
    }
    await page.close();
  });

  for (const [width, height] of [
    [1280, 900],
    [375, 812],
  ] as const)
    it(`lays out at ${width} px: nothing wider than the window, every cost of Recent requests in view`, async () => {
      const page = await open(dashboard.url, width, height);
      expect(
        await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth),
      ).toBeLessThanOrEqual(width);
      const costs = page.locator('#recent td.col-cost');
      expect(await costs.count()).toBeGreaterThan(0);
      const region = (await page.locator('#recent-block .scroll').boundingBox())!;
      for (const cell of await costs.all()) {
        const box = (await cell.boundingBox())!;
        expect(box.x + box.width, 'cost cell inside the table region').toBeLessThanOrEqual(
          region.x + region.width + 0.5,
        );
        expect(box.x + box.width, 'cost cell inside the window').toBeLessThanOrEqual(width);
        expect(await shownText(cell)).toMatch(/^\$\d/);
      }
      await page.screenshot({ path: join(ARTIFACTS, `dashboard-${width}.png`), fullPage: true });
      await page.close();
    });

  it("starts without a configuration and shows Claude Code's observed spend, at 1280 and 375 px", async () => {
    const zero = await startDashboard({ observed: claudeLogs(), timeZone: 'UTC' });
    try {
      for (const [width, height] of [
        [1280, 900],
        [375, 812],
      ] as const) {
        const page = await open(zero.url, width, height, '#observed-block:not([hidden])');
        expect(await shownText(page.locator('#mode-note'))).toMatch(/No drawdown configuration yet/);
        expect(await page.locator('#pools-block').isHidden()).toBe(true);
        expect(await shownText(page.locator('#spend-total'))).toMatch(
          /^Claude Code \$0\.13 \(observed, not enforced\) over the last 14 days \(UTC\)$/,
        );
        expect(
          await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth),
        ).toBeLessThanOrEqual(width);
        await page.screenshot({ path: join(ARTIFACTS, `dashboard-zero-config-${width}.png`), fullPage: true });
        await page.close();
      }
    } finally {
      await zero.close();
    }
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
