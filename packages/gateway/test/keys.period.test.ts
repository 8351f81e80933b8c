import Anthropic from '@anthropic-ai/sdk';
import { defaultRateCard, memoryStore } from '@drawdown/core';
import { manualClock, replies } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import { keyManager, keySpend } from '../src/index.js';
import { setup } from './helpers.js';

// max_tokens 100 on Sonnet holds well under a cent; the reply then reports 1,000 output tokens
// ($0.015), so one request carries the key past a $0.01 cap and the next is refused as "used".
const ask = {
  model: 'claude-sonnet-4-5',
  max_tokens: 100,
  messages: [{ role: 'user' as const, content: 'hi' }],
};
const bigUsage = { input_tokens: 10, output_tokens: 1_000 };

async function refusal(client: Anthropic): Promise<{ status: number; type: string; message: string }> {
  const error = await client.messages.create(ask).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Anthropic.APIError);
  const apiError = error as InstanceType<typeof Anthropic.APIError> & {
    error: { type: string; error: { type: string; message: string } };
  };
  expect(apiError.error.type).toBe('error');
  return { status: apiError.status!, type: apiError.error.error.type, message: apiError.error.error.message };
}

describe('key budget periods', () => {
  it('a day budget refuses once the day is used, says when it resets, and admits again after midnight', async () => {
    const clock = manualClock('2026-11-26T15:00:00Z');
    const { upstream, gateway, keys, hub } = await setup({ clock });
    const { key, record } = await keys.create({ name: 'overnight', routes: ['trial'], budget: '0.01', period: 'day' });
    expect(record).toMatchObject({ budget: 10_000_000, period: 'day' });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });

    upstream.enqueue(replies.message({ usage: bigUsage }));
    const first = await client.messages.create(ask);
    await gateway.idle();
    const cost = defaultRateCard.price('claude-sonnet-4-5', first.usage).total;
    expect(cost).toBeGreaterThan(10_000_000);

    expect(await refusal(client)).toEqual({
      status: 402,
      type: 'billing_error',
      message: 'drawdown: key "overnight" budget of $0.01 today is used up; it resets Nov 27, 12am (UTC)',
    });
    // Still the same day one minute before midnight.
    clock.set('2026-11-26T23:59:00Z');
    expect((await refusal(client)).message).toContain('today is used up; it resets Nov 27, 12am (UTC)');
    expect(upstream.requests).toHaveLength(1);

    const spend = keySpend(hub);
    expect(await spend.spent(record)).toEqual({
      spent: cost,
      held: 0,
      period: 'day',
      periodSpent: cost,
      resetsAt: Date.parse('2026-11-27T00:00:00Z'),
    });

    clock.set('2026-11-27T00:00:00Z');
    upstream.enqueue(replies.message({ usage: { input_tokens: 10, output_tokens: 10 } }));
    await expect(client.messages.create(ask)).resolves.toMatchObject({ type: 'message' });
    await gateway.idle();
    expect(upstream.requests).toHaveLength(2);
    const after = await spend.spent(record);
    expect(after.period).toBe('day');
    expect(after.periodSpent).toBeLessThan(cost);
    expect(after.spent).toBe(cost + after.periodSpent);
    expect(after.resetsAt).toBe(Date.parse('2026-11-28T00:00:00Z'));
  });

  it("a day follows the hub's time zone, not UTC", async () => {
    // 7am in New York; that day ends at 05:00 UTC the next morning.
    const clock = manualClock('2026-11-23T12:00:00Z');
    const { upstream, gateway, keys } = await setup({ clock, timeZone: 'America/New_York' });
    const { key } = await keys.create({ name: 'ny', routes: ['trial'], budget: '0.01', period: 'day' });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    upstream.enqueue(replies.message({ usage: bigUsage }));
    await client.messages.create(ask);
    await gateway.idle();
    clock.set('2026-11-24T04:59:00Z');
    expect((await refusal(client)).message).toContain(
      'key "ny" budget of $0.01 today is used up; it resets Nov 24, 12am (America/New_York)',
    );
    clock.set('2026-11-24T05:00:00Z');
    upstream.enqueue(replies.message({ usage: { input_tokens: 10, output_tokens: 10 } }));
    await expect(client.messages.create(ask)).resolves.toMatchObject({ type: 'message' });
  });

  it('a month budget holds across days and resets on the first of the next month', async () => {
    const clock = manualClock('2026-11-23T12:00:00Z');
    const { upstream, gateway, keys } = await setup({ clock });
    const { key } = await keys.create({ name: 'monthly', routes: ['trial'], budget: '0.01', period: 'month' });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    upstream.enqueue(replies.message({ usage: bigUsage }));
    await client.messages.create(ask);
    await gateway.idle();
    clock.set('2026-11-24T12:00:00Z');
    expect((await refusal(client)).message).toBe(
      'drawdown: key "monthly" budget of $0.01 this month is used up; it resets Dec 1, 12am (UTC)',
    );
    clock.set('2026-11-30T23:59:59Z');
    expect((await refusal(client)).status).toBe(402);
    clock.set('2026-12-01T00:00:00Z');
    upstream.enqueue(replies.message({ usage: { input_tokens: 10, output_tokens: 10 } }));
    await expect(client.messages.create(ask)).resolves.toMatchObject({ type: 'message' });
    expect(upstream.requests).toHaveLength(2);
  });

  it('a period budget that has some left but not enough for the hold says how much and when it resets', async () => {
    const clock = manualClock('2026-11-26T15:00:00Z');
    const { upstream, gateway, keys } = await setup({ clock });
    const { key } = await keys.create({ name: 'tight', routes: ['trial'], budget: '0.02', period: 'day' });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    upstream.enqueue(replies.message({ usage: bigUsage }));
    await client.messages.create(ask);
    await gateway.idle();
    // $0.02 − $0.015 leaves about half a cent; max_tokens 1,000 holds about $0.015.
    const error = await client.messages.create({ ...ask, max_tokens: 1_000 }).catch((e: unknown) => e);
    expect((error as { error: { error: { message: string } } }).error.error.message).toMatch(
      /^drawdown: key "tight" budget of \$0\.02 today: \$0\.00\d+ left, this request holds up to \$0\.0\d+; a lower max_tokens needs less, or wait: it resets Nov 27, 12am \(UTC\)$/,
    );
  });

  it('rejects an unknown period naming the accepted ones, and a period without a budget', async () => {
    const keys = keyManager(memoryStore());
    const bad = await keys.create({ name: 'x', routes: ['a'], budget: '5', period: 'weekly' }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'DRAWDOWN_GATEWAY_INVALID_KEY_REQUEST', data: { field: 'period' } });
    expect((bad as Error).message).toBe(
      'period "weekly" is not one of "lifetime", "day", "week", "month": use "day", "week" or "month" for a cap that resets at midnight in the hub\'s time zone, "lifetime" for one that never does',
    );
    await expect(keys.create({ name: 'x', routes: ['a'], period: 'day' })).rejects.toMatchObject({
      data: { field: 'period' },
      message: expect.stringContaining('needs a budget'),
    });
    await expect(keys.list()).resolves.toEqual([]);
    // Without --period a budget is lifetime, as before; a key made before periods existed reads as lifetime too.
    const { record } = await keys.create({ name: 'x', routes: ['a'], budget: '5' });
    expect(record.period).toBe('lifetime');
  });
});
