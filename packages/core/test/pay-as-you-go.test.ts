import { describe, expect, it } from 'vitest';
import { apiKey, budget, createHub, payAsYouGo, usd } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { quiet } from './helpers.js';

async function orgKeyHub(monthlyCap?: string) {
  const clock = manualClock('2026-11-23T12:00:00Z');
  const hub = await createHub({
    ...quiet,
    clock,
    plugins: [
      apiKey({ id: 'org-key', key: 'sk-org' }),
      apiKey({ id: 'spare-key', key: 'sk-spare' }),
      payAsYouGo({ id: 'org', ...(monthlyCap && { monthlyCap }), cooldownMs: 60_000 }),
      budget({ id: 'spare', amount: '5' }),
    ],
    route: {
      entries: [
        { id: 'org', strategy: 'org-key', pool: 'org' },
        { id: 'spare', strategy: 'spare-key', pool: 'spare' },
      ],
    },
  });
  return { hub, clock };
}

describe('pay-as-you-go pool', () => {
  it('meters spend without a cap and reports it for the month', async () => {
    const { hub } = await orgKeyHub();
    await (await hub.begin({ amount: usd('50') })).settle({ cost: usd('42.5') });
    expect(await hub.pool('org').status()).toMatchObject({
      state: 'available',
      spent: usd('42.5'),
      summary: '$42.50 spent this month',
    });
  });

  it('enforces its own monthly cap and resets on the first of the month', async () => {
    const { hub, clock } = await orgKeyHub('10');
    await (await hub.begin({ amount: usd('10') })).settle({ cost: usd('10') });
    expect((await hub.begin({ amount: usd('1') })).entry.id).toBe('spare');
    clock.set('2026-12-01T00:00:00Z');
    expect((await hub.begin({ amount: usd('1') })).entry.id).toBe('org');
  });

  it('stops using a key the API refused for lack of funds, until the cool-down passes', async () => {
    const { hub, clock } = await orgKeyHub();
    const exhausted: string[] = [];
    hub.on('pool.exhausted', (e) => void exhausted.push(e.reason));
    await hub.pool('org').observe!({
      source: 'error',
      status: 400,
      errorType: 'invalid_request_error',
      message:
        'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
      at: clock.now(),
    });
    expect(exhausted).toEqual(['credit balance is too low']);
    expect((await hub.begin({ amount: usd('1') })).entry.id).toBe('spare');
    await hub.pool('org').observe!({
      source: 'error',
      status: 429,
      errorType: 'rate_limit_error',
      message: 'slow down',
      at: clock.now(),
    });
    clock.advance(60_001);
    expect((await hub.begin({ amount: usd('1') })).entry.id).toBe('org');
  });

  it('refuses a malformed cap with the field named', () => {
    expect(() => payAsYouGo({ monthlyCap: 'lots' })).toThrow(/payAsYouGo\("apiKey"\): option "monthlyCap"/);
    expect(() => payAsYouGo({ cooldownMs: -1 })).toThrow(/option "cooldownMs"/);
  });
});
