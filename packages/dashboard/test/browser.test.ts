import { request } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey, budget, createHub, silentLogger, toDecimalString, type Hub } from '@drawdown/core';
import { sqliteStore } from '@drawdown/store-sqlite';
import { replies, startAnthropicServer } from '@drawdown/testkit';
import { forecastPools } from '@drawdown/core/forecast';
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

  it('shows the values under the cursor; measured days end today, the forecast runs on a week', async () => {
    const page = await open(dashboard.url);
    const snapshot = (await (await fetch(`${dashboard.url}api/snapshot`)).json()) as DashboardSnapshot;
    const measured = snapshot.spend.days.length;
    const columns = measured + snapshot.spend.forecast!.days.length - 1;
    const plot = page.locator('#chart .u-over');
    const box = (await plot.boundingBox())!;
    const label = (offsetDays: number) =>
      new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
        new Date(Date.now() + offsetDays * 86_400_000),
      );
    const legend = page.locator('#chart .u-legend');
    // Today's column is the last measured one: bars, and the projection starting at today's rate.
    await page.mouse.move(box.x + (box.width * (measured - 0.5)) / columns, box.y + box.height / 2);
    await expect.poll(() => shownText(legend)).toContain(label(0));
    const values = await page.locator('#chart .u-legend .u-value').allInnerTexts();
    expect(values.filter((v) => /^\$\d/.test(v)).length).toBeGreaterThan(0);
    expect(await shownText(legend)).toMatch(/Claude Code \(observed\)/);
    // The right edge is a week on: only the forecast has a value there.
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
    await expect.poll(() => shownText(legend)).toContain(label(7));
    expect(await shownText(page.locator('#chart .u-legend .u-series', { hasText: 'forecast' }))).toMatch(
      /forecast\s*\$[\d,]+\.\d\d\/day/,
    );
    await page.close();
  });

  for (const [width, height] of [
    [1280, 900],
    [375, 812],
  ] as const)
    it(`draws the forecast dashed past today, marked, with the rate it assumes, at ${width} px`, async () => {
      const page = await open(dashboard.url, width, height);
      const snapshot = (await (await fetch(`${dashboard.url}api/snapshot`)).json()) as DashboardSnapshot;
      const forecast = snapshot.spend.forecast!;
      expect(forecast).toMatchObject({ forecast: true, basis: 'projected' });
      // The projection is core's, not the page's: the pools' forecasts at the snapshot's instant, per day.
      const statuses = await Promise.all(hub.pools().map((p) => p.status()));
      const pools = await forecastPools(hub.store, statuses, Date.parse(snapshot.at));
      const projected = pools.filter((f, i) => statuses[i]!.kind !== 'allowance' && f.basis === 'projected');
      expect(forecast.perDayUsd).toBe(toDecimalString(projected.reduce((sum, f) => sum + f.rate!.perHour * 24, 0)));
      expect(forecast.assumes).toEqual(projected.map((f) => `${f.poolId} ${f.assumes}`));
      expect(forecast.summary).toMatch(
        /^forecast: \$[\d,.]+\/day at the rates assumed \(trial \$[\d.]+\/h, last (hours|days)\)$/,
      );
      const note = page.locator('#spend-forecast');
      expect(await note.isVisible()).toBe(true);
      expect(await shownText(note)).toBe(forecast.summary);
      // Dashed in the plot and in its legend marker, named "forecast".
      const marker = page.locator('#chart .u-legend .u-series', { hasText: 'forecast' }).locator('.u-marker');
      const markerStyle = await marker.evaluate(
        (m) => (m as unknown as { style: { borderStyle: string } }).style.borderStyle,
      );
      expect(markerStyle).toBe('dashed');
      // Each pool card says where it is heading, as pool_status does.
      for (const pool of snapshot.pools)
        expect(await shownText(page.locator(`[data-pool="${pool.id}"] .forecast`))).toBe(pool.forecast!.summary);
      expect(
        await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth),
      ).toBeLessThanOrEqual(width);
      await page.locator('#chart').screenshot({ path: join(ARTIFACTS, `dashboard-forecast-${width}.png`) });
      await page.close();
    });

  it('says how to turn on the reconcile panel when the configuration has no reconcile section', async () => {
    const page = await open(dashboard.url);
    expect(await shownText(page.locator('#reconcile-summary'))).toMatch(
      /^Add a "reconcile" section to the configuration .* and set ANTHROPIC_ADMIN_KEY to compare the ledger with Anthropic’s usage report here\.$/,
    );
    expect(await page.locator('#reconcile li').count()).toBe(0);
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

  it('shows the last reconcile: drift per group and category in tokens and dollars, unreported buckets apart, at 1280 and 375 px', async () => {
    const BUNDLED = 'sk-ant-dashboard-reconcile-0123456789';
    const ADMIN = 'sk-ant-admin01-dashboard-reconcile-000';
    const model = 'claude-sonnet-4-6';
    const usage = { input_tokens: 1000, output_tokens: 500 };
    // Anthropic reports requests 30 minutes late: the one made now is not in its report yet.
    const upstream = await startAnthropicServer({
      credentials: { bundled: BUNDLED },
      admin: { keys: { ops: ADMIN }, reportingDelayMs: 30 * 60_000 },
    });
    const ledger = await createHub({
      store: sqliteStore({ file: tempLedger() }),
      logger: silentLogger,
      timeZone: 'UTC',
      plugins: [apiKey({ id: 'bundled', key: BUNDLED }), budget({ id: 'trial', amount: '10.00' })],
      route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
    });
    const record = (at: number, key: string) =>
      ledger.store.settle({
        account: 'trial',
        key,
        cost: ledger.rateCard.price(model, usage, { at }).total,
        now: at,
        scopes: [],
        day: new Date(at).toISOString().slice(0, 10),
        meta: { model, inputTokens: 1000, outputTokens: 500 },
      });
    // Three hours ago Anthropic billed two requests and the ledger recorded one: drift.
    const before = upstream.billing.length;
    for (let i = 0; i < 2; i++) {
      upstream.enqueue(replies.message({ usage, model }));
      const answer = await fetch(`${upstream.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': BUNDLED, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model, max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] }),
      });
      await answer.text();
    }
    const earlier = Date.now() - 3 * 3_600_000;
    for (const bill of upstream.billing.slice(before)) bill.at = earlier;
    await record(earlier, 'earlier-1');
    // Just now, one the report does not have yet: not drift.
    await record(Date.now(), 'just-now-1');
    const panel = await startDashboard({
      hub: ledger,
      reconcile: {
        keys: { trial: 'apikey_bundled' },
        adminKey: () => ADMIN,
        adminKeyEnv: 'ANTHROPIC_ADMIN_KEY',
        baseUrl: upstream.url,
      },
    });
    try {
      const snapshot = (await (await fetch(`${panel.url}api/snapshot`)).json()) as DashboardSnapshot;
      expect(snapshot.reconcile).toMatchObject({ enabled: true, result: { totals: { drift: 1, pending: 1 } } });
      // Two charges in 7 days: the forecast says so instead of inventing a rate.
      expect(snapshot.spend.forecast).toMatchObject({
        basis: 'not-enough-data',
        summary: 'forecast: not enough data: 2 charges in 7 days, a rate needs 3 over 15m',
      });
      for (const [width, height] of [
        [1280, 900],
        [375, 812],
      ] as const) {
        const page = await open(panel.url, width, height, '[data-pool="trial"]');
        await page.locator('#reconcile li').first().waitFor();
        expect(await shownText(page.locator('#reconcile-summary'))).toMatch(
          /^Checked [A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2}, 1h buckets, tolerance \$0\.01: 0 match · 1 drift \(\$0\.01\) · 1 not reported yet\.$/,
        );
        const drift = page.locator('#reconcile li[data-status="drift"]');
        expect(await drift.count()).toBe(1);
        expect(await shownText(drift)).toMatch(
          /^drift\s+[A-Z][a-z]{2} \d{1,2}, \d{2}:00 · trial · claude-sonnet-4-6 · \$0\.01/i,
        );
        expect(await shownText(drift)).toContain('token counts differ');
        // 1,000 input tokens at $3/MTok and 500 output at $15/MTok that the ledger never saw.
        expect(await drift.locator('li').allInnerTexts()).toEqual([
          'uncached input: ledger 1,000, Anthropic 2,000 (+1,000, +$0.003)',
          'output: ledger 500, Anthropic 1,000 (+500, +$0.0075)',
        ]);
        const pending = page.locator('#reconcile li[data-status="not-reported-yet"]');
        expect(await shownText(pending)).toMatch(/^not reported yet\s+[A-Z][a-z]{2} \d{1,2}, \d{2}:00 · trial/i);
        expect(await shownText(pending)).toContain('Anthropic has not reported this bucket yet');
        expect(await shownText(pending)).not.toMatch(/\$/);
        // Told apart at a glance: the drift is marked in the alarm colour, the pending bucket is not.
        const colour = (l: typeof drift) =>
          l.evaluate(
            (n) => (globalThis as unknown as PageGlobals).getComputedStyle(n as unknown as PageElement).borderLeftColor,
          );
        expect(await colour(drift)).not.toBe(await colour(pending));
        expect(await shownText(page.locator('#spend-forecast'))).toBe(snapshot.spend.forecast!.summary);
        expect(await page.locator('#chart .u-legend .u-series', { hasText: 'forecast' }).count()).toBe(0);
        expect(
          await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth),
        ).toBeLessThanOrEqual(width);
        expect(await page.content()).not.toContain(ADMIN);
        await page.screenshot({ path: join(ARTIFACTS, `dashboard-reconcile-${width}.png`), fullPage: true });
        await page.close();
      }
    } finally {
      await panel.close();
      await ledger.close();
      await ledger.store.close();
      await upstream.close();
    }
  });

  it('logged no console errors on any page', () => {
    expect(problems).toEqual([]);
  });
});
