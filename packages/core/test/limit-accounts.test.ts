import { apiKey, budget, createHub, memoryStore, usd } from '@drawdown/core';
import { isLimitAccount, limitAccount } from '@drawdown/core/internal';
import { describe, expect, it } from 'vitest';
import { quiet } from './helpers.js';

describe('limit accounts are limits, not spend', () => {
  it('names the accounts that mirror spend for a limit: gateway keys as they always were, hierarchy levels as limit:<level>:<id>', () => {
    expect(limitAccount('team', 'eng')).toBe('limit:team:eng');
    expect(limitAccount('key', 'k1')).toBe('gateway-key:k1');
    for (const account of ['gateway-key:k1', 'limit:team:eng', 'limit:org:acme'])
      expect(isLimitAccount(account)).toBe(true);
    for (const account of ['trial', 'credits', 'gateway', 'limits']) expect(isLimitAccount(account)).toBe(false);
  });

  it('leaves them out of every report, grouped or not, so a gateway charge counts once (status total = report total)', async () => {
    const store = memoryStore();
    const hub = await createHub({
      ...quiet,
      store,
      plugins: [apiKey({ id: 'k', key: 'sk-test' }), budget({ id: 'trial', amount: '5' })],
      route: { entries: [{ id: 'trial', strategy: 'k', pool: 'trial' }] },
    });
    const usage = { input_tokens: 1_000, output_tokens: 700 }; // $0.009 on Sonnet 5.5
    const settled = await hub.charge({ requestId: 'r1', entry: 'trial', model: 'claude-sonnet-5-5', usage });
    // What the gateway writes next to it for a key's budget (an existing ledger has such rows).
    const placement = hub.placement(hub.clock.now());
    for (const account of ['gateway-key:k1', limitAccount('team', 'eng')])
      await store.settle({
        account,
        key: 'r1',
        cost: settled.cost,
        now: hub.clock.now(),
        meta: { model: 'claude-sonnet-5-5', client: 'ci' },
        scopes: placement.scopes,
        day: placement.day,
      });
    const day = placement.day;
    const status = await hub.status();
    const poolSpend = status.pools.reduce((sum, p) => sum + p.spent, 0);
    expect(poolSpend).toBe(usd('0.009'));
    for (const groupBy of [[], ['day'], ['model'], ['route'], ['pool'], ['day', 'model', 'route']] as const) {
      const rows = await hub.report({ fromDay: day, toDay: day, groupBy: [...groupBy] });
      expect(rows.reduce((sum, r) => sum + r.cost, 0)).toBe(poolSpend);
      expect(rows.reduce((sum, r) => sum + r.requests, 0)).toBe(1);
    }
    expect(await hub.report({ fromDay: day, toDay: day, groupBy: ['pool'] })).toEqual([
      expect.objectContaining({ pool: 'trial', cost: usd('0.009'), requests: 1 }),
    ]);
    // The store itself still has the mirror rows, for the limits that read them.
    expect((await store.report({ fromDay: day, toDay: day, groupBy: [] }))[0]).toMatchObject({ requests: 3 });
    await hub.close();
  });

  it('holds as a limit only an account named as one, so what a limit mirrors can never be reported as spend', async () => {
    const hub = await createHub({
      ...quiet,
      plugins: [apiKey({ id: 'k', key: 'sk-test' }), budget({ id: 'trial', amount: '5' })],
      route: { entries: [{ id: 'trial', strategy: 'k', pool: 'trial' }] },
    });
    const team = (account: string) => ({ account, limits: [] });
    await expect(
      hub.begin({ amount: usd('0.01'), limitAccounts: [team(limitAccount('team', 'eng')), team('gateway-team:eng')] }),
    ).rejects.toMatchObject({
      code: 'DRAWDOWN_INVALID_OPTION',
      message: expect.stringContaining('"limitAccounts[1].account" is "gateway-team:eng"'),
    });
    expect((await hub.pool('trial').status()).held).toBe(0);
    const lease = await hub.begin({ amount: usd('0.01'), limitAccounts: [team(limitAccount('team', 'eng'))] });
    await lease.settle({ cost: usd('0.01') });
    const day = hub.placement(hub.clock.now()).day;
    const rows = await hub.report({ fromDay: day, toDay: day, groupBy: ['pool'] });
    expect(rows.map((r) => [r.pool, r.cost])).toEqual([['trial', usd('0.01')]]);
    await hub.close();
  });
});
