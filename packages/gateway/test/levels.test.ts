import Anthropic from '@anthropic-ai/sdk';
import { defaultRateCard, type DrawdownEvents } from '@drawdown/core';
import { replies } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import { keySpend, levelAccount, startGateway, type BudgetHierarchy } from '../src/index.js';
import { setup } from './helpers.js';

// Sonnet 4.5 at $3 / $15 per million: max_tokens 100 holds about $0.0015; 1,000 output tokens cost $0.015.
const ask = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };
const bigUsage = { input_tokens: 10, output_tokens: 1_000 };
const bigCost = defaultRateCard.price('claude-sonnet-4-5', bigUsage).total;

const budgets: BudgetHierarchy = {
  organisations: { acme: { budget: '1.00', period: 'month', softLimit: '0.50' } },
  teams: {
    research: { organisation: 'acme', budget: '0.03', period: 'month', softLimit: '0.02' },
    support: { organisation: 'acme' },
  },
  users: { ada: { team: 'research', budget: '0.50' } },
  defaultUser: { budget: '0.01' },
};

async function failure(promise: Promise<unknown>): Promise<{ status: number; type: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Anthropic.APIError);
  const e = error as InstanceType<typeof Anthropic.APIError> & { error: { error: { type: string; message: string } } };
  return { status: e.status!, type: e.error.error.type, message: e.error.error.message };
}

describe('budget levels: organisation → team → user → key', () => {
  it('refuses the request that would take a team past its budget, though each key and user has room, and says what helps', async () => {
    const { upstream, gateway, keys } = await setup({ trial: '5.00', gateway: { budgets } });
    const a = await keys.create({ name: 'ada-laptop', routes: ['trial'], user: 'ada' });
    const b = await keys.create({ name: 'research-ci', routes: ['trial'], team: 'research' });
    const clientA = new Anthropic({ apiKey: a.key, baseURL: gateway.url, maxRetries: 0 });
    const clientB = new Anthropic({ apiKey: b.key, baseURL: gateway.url, maxRetries: 0 });
    upstream.enqueue(replies.message({ usage: bigUsage }));
    upstream.enqueue(replies.message({ usage: bigUsage }));
    await clientA.messages.create(ask);
    await clientB.messages.create(ask);
    await gateway.idle();
    // $0.03 team budget, $0.030 spent by two keys of two members: the next request has no room.
    expect(2 * bigCost).toBeGreaterThan(29_000_000);
    const refused = await failure(clientA.messages.create(ask));
    expect(refused.status).toBe(402);
    expect(refused.type).toBe('billing_error');
    expect(refused.message).toMatch(/^drawdown: team "research" budget of \$0\.03 this month is used up; it resets /);
    expect(refused.message).not.toContain('max_tokens');
    expect(upstream.requests).toHaveLength(2);
  });

  it('holds the key, its user, team and organisation with the pool, and counts the request once in reports', async () => {
    const { upstream, gateway, keys, hub } = await setup({ trial: '5.00', gateway: { budgets } });
    const { key, record } = await keys.create({ name: 'ada-laptop', routes: ['trial'], user: 'ada' });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    upstream.enqueue(replies.message({ usage: bigUsage }));
    await client.messages.create(ask);
    await gateway.idle();
    const now = hub.clock.now();
    for (const account of [
      levelAccount('key', record.id),
      levelAccount('user', 'ada'),
      levelAccount('team', 'research'),
      levelAccount('organisation', 'acme'),
      'trial',
    ]) {
      expect(await hub.store.snapshot({ account, now })).toMatchObject({ settled: { lifetime: bigCost }, held: 0 });
    }
    expect(await keySpend(hub).spent(record)).toMatchObject({ spent: bigCost });
    const day = new Date(now).toISOString().slice(0, 10);
    const report = await hub.report({ fromDay: day, toDay: day, groupBy: [] });
    expect(report).toMatchObject([{ cost: bigCost, requests: 1 }]);
  });

  it("gives a new user's 30 concurrent first requests the default budget exactly once", async () => {
    const { upstream, gateway, keys, hub } = await setup({ trial: '5.00', gateway: { budgets } });
    const { key } = await keys.create({ name: 'new-install', routes: ['trial'], user: 'u-7f3a' });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    // Each request holds about $0.0015 (max_tokens 100) and costs $0.0015: 6 fit in the $0.01 default.
    const small = { input_tokens: 10, output_tokens: 100 };
    const cost = defaultRateCard.price('claude-sonnet-4-5', small).total;
    for (let i = 0; i < 30; i++) upstream.enqueue(replies.message({ usage: small }));
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => client.messages.create(ask)));
    await gateway.idle();
    const admitted = results.filter((r) => r.status === 'fulfilled').length;
    expect(admitted).toBe(Math.floor(10_000_000 / cost));
    const user = await hub.store.snapshot({ account: levelAccount('user', 'u-7f3a'), now: hub.clock.now() });
    expect(user.settled.lifetime).toBe(admitted * cost);
    expect(user.settled.lifetime).toBeLessThanOrEqual(10_000_000);
    expect(user.held).toBe(0);
  });

  it('raises limit.crossed once per crossing for a soft limit and once for the budget, across concurrent requests', async () => {
    const { upstream, gateway, keys, hub } = await setup({ trial: '5.00', gateway: { budgets } });
    const crossed: Array<DrawdownEvents['limit.crossed']> = [];
    hub.on('limit.crossed', (event) => void crossed.push(event));
    const { key } = await keys.create({ name: 'ci', routes: ['trial'], team: 'research' });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const usage = { input_tokens: 10, output_tokens: 100 };
    const cost = defaultRateCard.price('claude-sonnet-4-5', usage).total;
    for (let i = 0; i < 40; i++) upstream.enqueue(replies.message({ usage }));
    await Promise.allSettled(Array.from({ length: 40 }, () => client.messages.create(ask)));
    await gateway.idle();
    const team = crossed.filter((c) => c.account === levelAccount('team', 'research'));
    expect(team.map((c) => [c.soft, c.level])).toEqual([
      [true, 20_000_000],
      ...(Math.floor(30_000_000 / cost) * cost >= 30_000_000 ? [[false, 30_000_000]] : []),
    ]);
    expect(team[0]!.message).toMatch(/^team "research" soft limit of \$0\.02 this month reached: \$0\.02\d* spent$/);
    expect(team[0]!.resetsAt).toBe(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1));
  });

  it('refuses a spent lifetime key without suggesting a lower max_tokens, and suggests it only when it can help', async () => {
    const { upstream, gateway, keys } = await setup({ trial: '5.00' });
    const spent = await keys.create({ name: 'trial-7f3a', routes: ['trial'], budget: '0.01' });
    const client = new Anthropic({ apiKey: spent.key, baseURL: gateway.url, maxRetries: 0 });
    upstream.enqueue(replies.message({ usage: bigUsage }));
    await client.messages.create(ask);
    await gateway.idle();
    const used = await failure(client.messages.create(ask));
    expect(used).toEqual({
      status: 402,
      type: 'billing_error',
      message:
        'drawdown: key "trial-7f3a" budget of $0.01 is used up; it does not grow: create a key with a larger --budget ("drawdown keys create")',
    });

    const roomy = await keys.create({ name: 'roomy', routes: ['trial'], budget: '0.01' });
    const roomyClient = new Anthropic({ apiKey: roomy.key, baseURL: gateway.url, maxRetries: 0 });
    // max_tokens 1,000 holds $0.015, more than the $0.01 budget; a smaller answer would fit.
    const big = await failure(roomyClient.messages.create({ ...ask, max_tokens: 1_000 }));
    expect(big.message).toMatch(
      /^drawdown: key "roomy" budget of \$0\.01: \$0\.01 left, this request holds up to \$0\.02; a lower max_tokens needs less$/,
    );
  });

  it('refuses a key that names a team the budgets do not declare, naming it, before anything is held', async () => {
    const { upstream, gateway, keys } = await setup({ gateway: { budgets } });
    const { key } = await keys.create({ name: 'typo', routes: ['trial'], team: 'reserach' });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    expect(await failure(client.messages.create(ask))).toEqual({
      status: 403,
      type: 'permission_error',
      message:
        'drawdown gateway: key "typo" names team "reserach", which the gateway\'s budgets.teams does not declare; declare it or fix the key',
    });
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses a hierarchy whose team names an undeclared organisation, or whose soft limit is not below its budget', async () => {
    const { hub } = await setup();
    await expect(
      startGateway({ hub, budgets: { teams: { research: { organisation: 'acme' } } } }),
    ).rejects.toMatchObject({
      code: 'DRAWDOWN_INVALID_OPTION',
      message: 'gateway: budgets.teams.research.organisation is "acme", which budgets.organisations does not declare',
      data: { field: 'budgets.teams.research.organisation' },
    });
    await expect(
      startGateway({ hub, budgets: { users: { ada: { budget: '5', softLimit: '5' } } } }),
    ).rejects.toMatchObject({ data: { field: 'budgets.users.ada.softLimit' } });
    await expect(startGateway({ hub, budgets: { defaultUser: { budget: 'ten' } } })).rejects.toMatchObject({
      message: 'gateway: budgets.defaultUser.budget is "ten", not a USD amount; write it like "100.00"',
    });
    // A period from a JSON file the types do not see.
    const fromJson = JSON.parse('{ "teams": { "ops": { "period": "year" } } }') as BudgetHierarchy;
    await expect(startGateway({ hub, budgets: fromJson })).rejects.toMatchObject({
      data: { field: 'budgets.teams.ops.period' },
      message: 'gateway: budgets.teams.ops.period is "year"; use one of lifetime, day, week, month',
    });
  });
});
