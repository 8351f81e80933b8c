import { describe, expect, it } from 'vitest';
import type { PoolStatus } from '../src/contracts/pool.js';
import {
  burnRate,
  forecastPool,
  RATE_WINDOWS,
  rateEvidence,
  spendHistory,
  type SpendPoint,
} from '../src/forecast/index.js';
import { usd } from '../src/money.js';
import { memoryStore } from '../src/stores/memory-store.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);

/** `amount` every `everyMs` from `from` up to (not after) `to`. */
function steady(amount: string, everyMs: number, from: number, to: number): SpendPoint[] {
  const points: SpendPoint[] = [];
  for (let at = from; at <= to; at += everyMs) points.push({ at, amount: usd(amount) });
  return points;
}

function budgetStatus(remaining: string, extra: Partial<PoolStatus> = {}): PoolStatus {
  return {
    id: 'trial',
    kind: 'budget',
    state: 'available',
    remaining: usd(remaining),
    limit: usd('10'),
    spent: usd('10') - usd(remaining),
    held: 0,
    summary: '',
    ...extra,
  };
}

function creditsStatus(details: {
  available: string;
  caps?: Array<{ name: string; left: string; resetsAt: number }>;
  reload?: { state?: string; threshold: string; amount?: string; monthlyLimit?: string; reloaded?: string };
}): PoolStatus {
  return {
    id: 'credits',
    kind: 'credits',
    state: 'available',
    remaining: usd(details.available),
    spent: 0,
    held: 0,
    summary: '',
    details: {
      availableUsd: details.available,
      caps: (details.caps ?? []).map((c) => ({ name: c.name, leftUsd: c.left, resetsAt: c.resetsAt })),
      autoReload: details.reload
        ? {
            state: details.reload.state ?? 'armed',
            policy: {
              thresholdUsd: details.reload.threshold,
              ...(details.reload.amount && { amountUsd: details.reload.amount }),
              ...(details.reload.monthlyLimit && { monthlyLimitUsd: details.reload.monthlyLimit }),
            },
            reloadedThisMonthUsd: details.reload.reloaded ?? '0',
          }
        : { state: 'off', policy: null, reloadedThisMonthUsd: '0' },
    },
  };
}

describe('burn rate and time to exhaustion', () => {
  it('projects steady use at its measured rate and names the window', () => {
    // $0.10 every 10 minutes for six hours: $0.60 an hour.
    const history = steady('0.10', 10 * MINUTE, NOW - 6 * HOUR, NOW);
    const f = forecastPool({ status: budgetStatus('5'), history, now: NOW });
    expect(f.forecast).toBe(true);
    expect(f.basis).toBe('projected');
    expect(f.rate!.perHour).toBeGreaterThan(usd('0.58'));
    expect(f.rate!.perHour).toBeLessThan(usd('0.62'));
    // $5 at $0.60/h: 8h 20m.
    expect(Math.abs(f.exhaustsAt! - (NOW + (5 / 0.6) * HOUR))).toBeLessThan(15 * MINUTE);
    expect(f.outlook).toMatch(/^runs out in 8h \d+m$/);
    expect(f.assumes).toMatch(/^\$0\.6\d\/h, last (hours|days)$/);
    expect(f.summary).toBe(`forecast: ${f.outlook} (${f.assumes})`);
  });

  it('says "not enough data" rather than inventing a rate from two charges', () => {
    const history = [
      { at: NOW - 20 * MINUTE, amount: usd('1') },
      { at: NOW - 5 * MINUTE, amount: usd('1') },
    ];
    const f = forecastPool({ status: budgetStatus('5'), history, now: NOW });
    expect(f).toEqual({
      poolId: 'trial',
      forecast: true,
      basis: 'not-enough-data',
      outlook: 'not enough data: 2 charges in 7 days, a rate needs 3 over 15m',
      summary: 'forecast: not enough data: 2 charges in 7 days, a rate needs 3 over 15m',
    });
  });

  it('follows a burst at once, with the hours window', () => {
    const usual = steady('0.10', 10 * MINUTE, NOW - 48 * HOUR, NOW - 15 * MINUTE);
    const burst = steady('0.50', MINUTE, NOW - 10 * MINUTE, NOW);
    const calm = forecastPool({ status: budgetStatus('5'), history: usual, now: NOW });
    const busy = forecastPool({ status: budgetStatus('5'), history: [...usual, ...burst], now: NOW });
    expect(busy.rate!.window).toBe('last hours');
    expect(busy.rate!.perHour).toBeGreaterThan(calm.rate!.perHour * 2);
    expect(busy.exhaustsAt!).toBeLessThan(calm.exhaustsAt!);
  });

  it('slows down after an idle spell, and has no data after a week of idleness', () => {
    const day = steady('0.10', 10 * MINUTE, NOW - 72 * HOUR, NOW - 48 * HOUR);
    const active = forecastPool({ status: budgetStatus('5'), history: day, now: NOW - 48 * HOUR });
    const idle = forecastPool({ status: budgetStatus('5'), history: day, now: NOW });
    expect(idle.basis).toBe('projected');
    expect(idle.rate!.window).toBe('last days');
    expect(idle.rate!.perHour).toBeLessThan(active.rate!.perHour / 2);
    const week = forecastPool({ status: budgetStatus('5'), history: day, now: NOW + 6 * 24 * HOUR });
    expect(week.basis).toBe('not-enough-data');
    expect(week.rate).toBeUndefined();
  });

  it('tells when the limit resets before the pool would run out', () => {
    const history = steady('0.10', 10 * MINUTE, NOW - 6 * HOUR, NOW);
    const f = forecastPool({ status: budgetStatus('5', { resetsAt: NOW + 2 * HOUR }), history, now: NOW });
    expect(f.resetsFirst).toBe(true);
    expect(f.resetsAt).toBe(NOW + 2 * HOUR);
    expect(f.outlook).toBe('resets in 2h, before running out');
    const later = forecastPool({ status: budgetStatus('5', { resetsAt: NOW + 20 * HOUR }), history, now: NOW });
    expect(later.resetsFirst).toBe(false);
    expect(later.outlook).toMatch(/^runs out in 8h/);
  });

  it('names a pool without a limit as such', () => {
    const history = steady('0.10', 10 * MINUTE, NOW - 6 * HOUR, NOW);
    const f = forecastPool({
      status: { ...budgetStatus('5'), kind: 'apiKey', remaining: undefined },
      history,
      now: NOW,
    });
    expect(f.exhaustsAt).toBeUndefined();
    expect(f.outlook).toBe('no limit to run out');
  });
});

describe('plan windows', () => {
  const plan = (utilization: number, resetsIn: number): PoolStatus => ({
    id: 'plan',
    kind: 'allowance',
    state: 'available',
    spent: 0,
    held: 0,
    summary: '',
    limits: [{ name: 'five_hour', status: 'allowed', utilization, resetsAt: NOW + resetsIn }],
  });

  it('runs out before the 5-hour window resets at the pace since it opened', () => {
    // 60% used two hours into the window: 30%/h, the rest lasts 1h 20m; the reset is in 3h.
    const f = forecastPool({ status: plan(0.6, 3 * HOUR), history: [], now: NOW });
    expect(f.resetsFirst).toBe(false);
    expect(f.exhaustsAt).toBe(NOW + 80 * MINUTE);
    expect(f.utilizationRate).toEqual({ perHour: 0.3, window: 'since the window opened', limit: 'five_hour' });
    expect(f.summary).toBe('forecast: limit in 1h 20m, 1h 40m before reset (30%/h of five_hour since it opened)');
    expect(f.assumes).toBe('30%/h of five_hour since it opened');
  });

  it('resets first when the pace is slow', () => {
    const f = forecastPool({ status: plan(0.2, 3 * HOUR), history: [], now: NOW });
    expect(f.resetsFirst).toBe(true);
    expect(f.summary).toBe('forecast: resets in 3h, before running out (10%/h of five_hour since it opened)');
  });

  it('has no data before the server reported a window', () => {
    const f = forecastPool({ status: { ...plan(0, 0), limits: [] }, history: [], now: NOW });
    expect(f.basis).toBe('not-enough-data');
    expect(f.summary).toBe('forecast: not enough data: no plan window reported yet');
  });
});

describe('credits: auto-reload against the caps', () => {
  // $1 an hour.
  const history = steady('0.25', 15 * MINUTE, NOW - 12 * HOUR, NOW);

  it('says when auto-reload fires', () => {
    const f = forecastPool({
      status: creditsStatus({ available: '20', reload: { threshold: '5', amount: '25' } }),
      history,
      now: NOW,
    });
    expect(Math.abs(f.autoReload!.at! - (NOW + 15 * HOUR))).toBeLessThan(45 * MINUTE);
    expect(f.autoReload!.amount).toBe(usd('25'));
    expect(f.summary).toMatch(/^forecast: auto-reload \(\+\$25\.00\) in 1[45]h( \d+m)? \(\$1\.0\d\/h, last hours\)$/);
  });

  it('says the daily ceiling stops spending before auto-reload fires', () => {
    const f = forecastPool({
      status: creditsStatus({
        available: '20',
        caps: [{ name: 'daily ceiling', left: '10', resetsAt: NOW + 24 * HOUR }],
        reload: { threshold: '5', amount: '25' },
      }),
      history,
      now: NOW,
    });
    expect(f.stoppedBy).toMatchObject({ limit: 'daily ceiling', resetsAt: NOW + 24 * HOUR });
    expect(f.stoppedBy!.at).toBeLessThan(f.autoReload!.at!);
    expect(f.outlook).toMatch(/^daily ceiling reached in (9|10)h( \d+m)?, before auto-reload$/);
  });

  it('ignores a cap that resets before it would be reached', () => {
    const f = forecastPool({
      status: creditsStatus({
        available: '20',
        caps: [{ name: 'daily ceiling', left: '10', resetsAt: NOW + 2 * HOUR }],
        reload: { threshold: '5', amount: '25' },
      }),
      history,
      now: NOW,
    });
    expect(f.stoppedBy).toBeUndefined();
    expect(f.outlook).toMatch(/^auto-reload \(\+\$25\.00\) in/);
  });

  it('says the monthly limit stops auto-reload, and when the credits run out', () => {
    const f = forecastPool({
      status: creditsStatus({
        available: '20',
        reload: { threshold: '5', amount: '25', monthlyLimit: '50', reloaded: '40' },
      }),
      history,
      now: NOW,
    });
    expect(f.autoReload).toEqual({ amount: usd('25'), blockedBy: 'its $50.00 monthly limit' });
    expect(f.outlook).toMatch(/^empty in (19|20)h( \d+m)?; no auto-reload \(its \$50\.00 monthly limit\)$/);
  });

  it('says the monthly spend limit stops spending before the credits run out', () => {
    const f = forecastPool({
      status: creditsStatus({
        available: '20',
        caps: [{ name: 'monthly spend limit', left: '3', resetsAt: NOW + 10 * 24 * HOUR }],
      }),
      history,
      now: NOW,
    });
    expect(f.stoppedBy!.limit).toBe('monthly spend limit');
    expect(f.outlook).toMatch(/^monthly spend limit reached in [23]h( \d+m)?, before funds run out$/);
  });
});

describe('spendHistory', () => {
  it('reads per-hour sums that forecast within 1% of the charges one by one, counting every charge', async () => {
    const store = memoryStore();
    // Uneven spend over two days, with a burst in the last hour and one charge of no cost.
    const charges = [
      ...steady('0.05', 11 * MINUTE, NOW - 47 * HOUR, NOW - 2 * HOUR),
      ...steady('0.40', 4 * MINUTE, NOW - 50 * MINUTE, NOW - MINUTE),
    ];
    for (const [i, c] of charges.entries())
      await store.settle({ account: 'trial', key: `k${i}`, cost: c.amount, now: c.at, scopes: [], day: '2026-12-03' });
    await store.settle({ account: 'trial', key: 'free', cost: 0, now: NOW - HOUR, scopes: [], day: '2026-12-03' });
    // One charge older than the lookback never counts.
    await store.settle({
      account: 'trial',
      key: 'old',
      cost: usd('9'),
      now: NOW - 8 * 24 * HOUR,
      scopes: [],
      day: '2026-11-25',
    });

    const history = await spendHistory(store, 'trial', NOW);
    expect(history.length).toBeLessThan(charges.length / 2);
    expect(rateEvidence(history, NOW)).toMatchObject({ enough: true, charges: charges.length });
    for (const window of Object.values(RATE_WINDOWS)) {
      const exact = burnRate(charges, NOW, window).perHour;
      expect(Math.abs(burnRate(history, NOW, window).perHour - exact) / exact).toBeLessThan(0.01);
    }
    await store.close();
  });
});
