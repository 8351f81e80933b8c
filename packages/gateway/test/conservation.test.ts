import Anthropic from '@anthropic-ai/sdk';
import { budget, createHub, memoryStore, type AuthStrategy, type DrawdownPlugin } from '@drawdown/core';
import { assertConserved, replies, startAnthropicServer } from '@drawdown/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { keyManager, startGateway } from '../src/index.js';
import { setup } from './helpers.js';

const ask = { model: 'claude-sonnet-5-5', max_tokens: 1_000, messages: [{ role: 'user' as const, content: 'Hi' }] };
const usage = (input: number, output: number) => ({ input_tokens: input, output_tokens: output });

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

// Black-box through HTTP: whatever the upstream billed is in the ledger once, at the rate-card price.
describe('money through the gateway is conserved', () => {
  it('charges JSON and SSE answers and a failed-over request exactly once', async () => {
    const { upstream, hub, gateway, keys } = await setup();
    const { key } = await keys.create({ name: 'tool', routes: ['trial', 'credits'] });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    upstream.enqueue(
      replies.message({ usage: usage(1_001, 101) }),
      replies.message({ usage: usage(1_002, 102) }),
      replies.planLimit({ resetAt: Math.floor(Date.now() / 1000) + 3600, claim: 'five_hour' }),
      replies.message({ usage: usage(1_004, 104) }),
    );
    await client.messages.create(ask);
    const streamed = await client.messages.create({ ...ask, stream: true });
    for await (const _ of streamed);
    // Refused by the trial's upstream as a spent plan window: failed over to credits, billed there once.
    const failedOver = await client.messages.create(ask);
    expect(failedOver.usage.input_tokens).toBe(1_004);
    await gateway.idle();
    const report = await assertConserved({ billing: upstream.billing, store: hub.store });
    expect(report.bills).toHaveLength(3);
    // The key's own budget account mirrors the same charges; it is a limit, not a second charge.
    const rows = await hub.report({ fromDay: '2000-01-01', toDay: '2999-12-31', groupBy: [] });
    expect(rows[0]).toMatchObject({ cost: report.billed, requests: 3 });
  });

  it('charges nothing for a client that leaves before the first SSE event, and what message_start carried after it', async () => {
    const { upstream, hub, gateway, keys } = await setup();
    const { key } = await keys.create({ name: 'leaver', routes: ['trial'] });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    upstream.enqueue(
      replies.message({ usage: usage(1_005, 105), stream: { stallAfter: 'headers' } }),
      replies.message({ usage: usage(1_006, 106), stream: { stallAfter: 'message_start' } }),
    );
    const controller = new AbortController();
    const before = await client.messages.create({ ...ask, stream: true }, { signal: controller.signal });
    const failed = new Promise((resolve) => hub.once('request.failed', resolve));
    setTimeout(() => controller.abort(), 100);
    await (async () => {
      for await (const _ of before);
    })().catch(() => undefined);
    await failed;
    const settled = new Promise((resolve) => hub.once('request.settled', resolve));
    const after = await client.messages.create({ ...ask, stream: true });
    for await (const event of after) if (event.type === 'message_start') break; // leaving the loop aborts
    await settled;
    await gateway.idle();
    const report = await assertConserved({ billing: upstream.billing, store: hub.store });
    // The upstream billed only the second: its input and the one output token message_start carried.
    expect(report.bills.map((b) => [b.bill.usage.input_tokens, b.bill.usage.output_tokens, b.bill.complete])).toEqual([
      [1_006, 1, false],
    ]);
    expect((await hub.pool('trial').status()).held).toBe(0);
  });

  it('asks the strategy to refresh on a 401 and charges the retried request once', async () => {
    const upstream = await startAnthropicServer({ credentials: { fresh: 'sk-ant-fresh-0123456789' } });
    cleanups.push(() => upstream.close());
    let current = 'sk-ant-stale-0123456789';
    let refreshes = 0;
    const strategy: AuthStrategy = {
      id: 'rotating',
      kind: 'apiKey',
      credentials: async () => ({ apiKey: current }),
      childEnv: () => ({}),
      status: async () => ({ ready: true, detail: 'rotating key' }),
      async onUnauthorized() {
        refreshes += 1;
        current = 'sk-ant-fresh-0123456789';
        return true;
      },
    };
    const hub = await createHub({
      store: memoryStore(),
      plugins: [
        { id: 'rotating', kind: 'auth', setup: () => ({ strategy }) } satisfies DrawdownPlugin,
        budget({ id: 'trial', amount: '1' }),
      ],
      route: { entries: [{ id: 'trial', strategy: 'rotating', pool: 'trial' }] },
    });
    cleanups.push(() => hub.close());
    const gateway = await startGateway({ hub, upstream: { url: upstream.url } });
    cleanups.push(() => gateway.close());
    const { key } = await keyManager(hub.store).create({ name: 'tool', routes: ['trial'] });
    upstream.enqueue(replies.message({ usage: usage(2_000, 200) }));
    const answer = await new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 }).messages.create(ask);
    expect(answer.usage.input_tokens).toBe(2_000);
    expect(refreshes).toBe(1);
    expect(upstream.requests.map((r) => r.reply?.status)).toEqual([401, 200]);
    await gateway.idle();
    await assertConserved({ billing: upstream.billing, store: hub.store });
    expect((await hub.pool('trial').status()).held).toBe(0);
  });
});

describe('the overrun bound of the gateway', () => {
  it('overruns a pool by at most what the last admitted request cost beyond its hold, then refuses before the upstream', async () => {
    const { upstream, hub, gateway, keys } = await setup({ trial: '0.10' });
    const { key } = await keys.create({ name: 'tool', routes: ['trial'] });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const holds: number[] = [];
    hub.on('request.routed', (e) => void holds.push(e.held));
    // "Hi" is estimated at a handful of input tokens; the upstream reports 30,000, so each answer costs more than its hold.
    let refused: unknown;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      upstream.enqueue(replies.message({ usage: usage(30_000 + i, 100) }));
      await client.messages.create({ ...ask, max_tokens: 2_000 }).catch((error: unknown) => (refused = error));
    }
    await gateway.idle();
    expect(refused).toMatchObject({ status: 402, type: 'billing_error' });
    expect(upstream.requests).toHaveLength(holds.length);
    const report = await assertConserved({ billing: upstream.billing, store: hub.store });
    const costs = report.bills.map((b) => b.cost);
    const budgetNanos = 100_000_000;
    const last = costs.length - 1;
    expect(costs.length).toBeGreaterThanOrEqual(2);
    expect(costs[last]!).toBeGreaterThan(holds[last]!);
    expect(report.billed - costs[last]!).toBeLessThanOrEqual(budgetNanos);
    expect(report.billed).toBeGreaterThan(budgetNanos);
    expect(report.billed - budgetNanos).toBeLessThanOrEqual(costs[last]! - holds[last]!);
  });
});
