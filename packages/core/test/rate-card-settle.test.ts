import { describe, expect, it } from 'vitest';
import {
  apiKey,
  budget,
  createHub,
  createRateCard,
  memoryStore,
  usd,
  type EntryMeta,
  type RateCardOptions,
} from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { quiet } from './helpers.js';

async function hubWith(rateCard: RateCardOptions = {}, start = '2026-10-06T23:59:00Z') {
  const clock = manualClock(start);
  const store = memoryStore();
  const hub = await createHub({
    ...quiet,
    clock,
    store,
    rateCard: createRateCard(rateCard),
    plugins: [apiKey({ id: 'k', key: 'sk-test' }), budget({ id: 'trial', amount: '100' })],
    route: { entries: [{ id: 'trial', strategy: 'k', pool: 'trial' }] },
  });
  const charges = async (): Promise<EntryMeta[]> =>
    (await store.entries({ kinds: ['charge'] })).map((e) => (e.kind === 'charge' ? e.meta : {}));
  return { hub, clock, charges };
}

describe('settling usage at the price in force when the request was made', () => {
  it('prices a settle at the time the request was admitted, and the ledger entry names the row', async () => {
    const { hub, clock, charges } = await hubWith();
    const lease = await hub.begin({ model: 'claude-sonnet-5-5', amount: usd('1') });
    clock.advance(5 * 60_000); // the response arrives after midnight, when hits cost $0.10
    const settled = await lease.settle({
      usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 1_000_000 },
    });
    expect(settled.costUsd).toBe('0.2'); // 1M hits at $0.20: the price on 2026-10-06, when it was sent
    const later = await hub.begin({ model: 'claude-sonnet-5-5', amount: usd('1') });
    expect(
      (await later.settle({ usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 1_000_000 } }))
        .costUsd,
    ).toBe('0.1');
    expect(await charges()).toEqual([
      expect.objectContaining({
        model: 'claude-sonnet-5-5',
        priceRow: 'claude-sonnet-5-5@2026-09-28',
        pricedBy: 'rate-card',
        cacheReadTokens: 1_000_000,
      }),
      expect.objectContaining({ priceRow: 'claude-sonnet-5-5@2026-10-07', pricedBy: 'rate-card' }),
    ]);
    await hub.close();
  });

  it('takes an explicit request time on charge, and reads fast mode and US inference from the usage', async () => {
    const { hub, charges } = await hubWith({}, '2026-11-23T12:00:00Z');
    const before = await hub.charge({
      requestId: 'r1',
      entry: 'trial',
      model: 'claude-sonnet-5-5',
      usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 1_000_000 },
      at: Date.parse('2026-10-01T00:00:00Z'),
    });
    expect(before.costUsd).toBe('0.2');
    const fast = await hub.charge({
      requestId: 'r2',
      entry: 'trial',
      model: 'claude-opus-5-5',
      usage: { input_tokens: 0, output_tokens: 1_000_000, speed: 'fast', inference_geo: 'us' },
    });
    expect(fast.costUsd).toBe('44'); // $40 fast output × 1.1
    expect((await charges()).map((m) => m.priceRow)).toEqual([
      'claude-sonnet-5-5@2026-09-28',
      'claude-opus-5-5@2026-09-23',
    ]);
    await hub.close();
  });

  it('charges the agent-reported cost for an unknown model under charge-reported, and records that it did', async () => {
    const { hub, charges } = await hubWith({ unknownModel: 'charge-reported' }, '2026-11-23T12:00:00Z');
    const settled = await hub.charge({
      requestId: 'r1',
      entry: 'trial',
      model: 'claude-opus-9',
      usage: { input_tokens: 10, output_tokens: 10 },
      reportedCost: usd('0.0421'),
    });
    expect(settled).toMatchObject({ costUsd: '0.0421', breakdown: { pricedBy: 'reported-cost' } });
    expect(await charges()).toEqual([
      expect.objectContaining({ model: 'claude-opus-9', pricedBy: 'reported-cost', inputTokens: 10 }),
    ]);
    expect((await charges())[0]!.priceRow).toBeUndefined();
    await expect(
      hub.charge({
        requestId: 'r2',
        entry: 'trial',
        model: 'claude-opus-9',
        usage: { output_tokens: 0, input_tokens: 1 },
      }),
    ).rejects.toMatchObject({ code: 'DRAWDOWN_UNKNOWN_MODEL' });
    await hub.close();
  });

  it('refuses an unknown model by default even when a cost was reported', async () => {
    const { hub } = await hubWith({}, '2026-11-23T12:00:00Z');
    await expect(
      hub.charge({
        requestId: 'r1',
        entry: 'trial',
        model: 'claude-opus-9',
        usage: { output_tokens: 0, input_tokens: 1 },
        reportedCost: usd('1'),
      }),
    ).rejects.toMatchObject({ code: 'DRAWDOWN_UNKNOWN_MODEL' });
    await hub.close();
  });
});

describe('holds of metered calls', () => {
  it("size the hold with the request's inference_geo and speed", async () => {
    const { estimateFromParams } = await import('@drawdown/core/anthropic');
    const card = createRateCard();
    const params = {
      model: 'claude-opus-5-5',
      max_tokens: 1000,
      messages: 'x'.repeat(3000),
      inference_geo: 'us',
      speed: 'fast',
    };
    const request = estimateFromParams(params, card);
    expect(request).toMatchObject({ inputTokens: 1000, geo: 'us', speed: 'fast' });
    // (1000 × $8 + 1000 × $40) × 1.1 = 52,800 µ$
    expect(card.estimate({ ...request, model: params.model, at: Date.parse('2026-11-23T00:00:00Z') }).maxCostUsd).toBe(
      '0.0528',
    );
    expect(() =>
      card.estimate({ ...estimateFromParams({ ...params, inference_geo: 'mars' }, card), model: params.model }),
    ).toThrow(/accepted values are "global", "us"/);
  });
});
