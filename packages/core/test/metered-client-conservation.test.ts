import {
  assertConserved,
  replies,
  startAnthropicServer,
  type AnthropicServer,
  type ScriptedReply,
} from '@drawdown/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMeteredClient } from '../src/anthropic/index.js';
import { apiKey, budget, createHub, silentLogger, type Hub } from '../src/index.js';
import { CREDITS_KEY, PLAN_KEY, planThenCredits as route, rotatingKeyStrategy } from './fixtures/anthropic-harness.js';
const ask = { model: 'claude-sonnet-4-6', max_tokens: 2_000, messages: [{ role: 'user' as const, content: 'Hi' }] };
// Distinct usages, so each bill's cost names its request in a failing report.
const usage = (input: number, output: number) => ({ input_tokens: input, output_tokens: output });

describe('money through the metered client is conserved', () => {
  let server: AnthropicServer;
  let hub: Hub;

  const planThenCredits = async () => {
    const { plugins, entries } = route();
    hub = await createHub({ logger: silentLogger, plugins, route: { entries } });
    return hub;
  };
  const held = async () =>
    (await hub.store.snapshot({ account: 'plan', now: hub.clock.now() })).held +
    (await hub.store.snapshot({ account: 'credits', now: hub.clock.now() })).held;

  beforeEach(async () => {
    server = await startAnthropicServer({ credentials: { plan: PLAN_KEY, credits: CREDITS_KEY } });
  });
  afterEach(async () => {
    await hub?.close();
    await server.close();
  });

  it('charges a JSON answer and a stream read to its end once each', async () => {
    const client = createMeteredClient({ hub: await planThenCredits(), baseURL: server.url });
    server.enqueue(replies.message({ usage: usage(1_001, 101) }), replies.message({ usage: usage(1_002, 102) }));
    await client.messages.create(ask);
    const stream = await client.messages.create({ ...ask, stream: true });
    for await (const _ of stream);
    const report = await assertConserved({ billing: server.billing, store: hub.store });
    expect(report.bills.map((b) => b.bill.complete)).toEqual([true, true]);
    expect(await held()).toBe(0);
  });

  it('charges nothing for a stream aborted before its first event, and what message_start reported after it', async () => {
    const client = createMeteredClient({ hub: await planThenCredits(), baseURL: server.url });
    server.enqueue(
      replies.message({ usage: usage(1_003, 103), stream: { stallAfter: 'headers' } }),
      replies.message({ usage: usage(1_004, 104), stream: { stallAfter: 'message_start' } }),
    );
    const before = await client.messages.create({ ...ask, stream: true });
    const reading = (async () => {
      for await (const _ of before);
    })();
    before.controller.abort();
    await reading;
    const after = await client.messages.create({ ...ask, stream: true });
    for await (const event of after) if (event.type === 'message_start') break;
    await expect.poll(held).toBe(0);
    const report = await assertConserved({ billing: server.billing, store: hub.store });
    // The upstream billed only the second: the input and the one output token message_start reported.
    expect(report.bills.map((b) => [b.bill.usage.input_tokens, b.bill.usage.output_tokens, b.bill.complete])).toEqual([
      [1_004, 1, false],
    ]);
  });

  it('charges a request that failed over on a plan-limit 429 once, on the entry that answered', async () => {
    const client = createMeteredClient({ hub: await planThenCredits(), baseURL: server.url });
    server.enqueue(
      replies.planLimit({ resetAt: Math.floor(Date.now() / 1000) + 3600 }),
      replies.message({ usage: usage(1_005, 105) }),
    );
    await client.messages.create(ask);
    expect(server.requests.map((r) => r.credential)).toEqual(['plan', 'credits']);
    const report = await assertConserved({ billing: server.billing, store: hub.store });
    expect(report.charges.map((c) => c.account)).toEqual(['credits']);
  });

  it.each([
    ['529 overloaded', () => replies.overloaded()],
    ['500 api error', () => replies.error(500, 'api_error', 'Internal server error')],
  ])('charges a call the SDK retried after a %s once', async (_name, failure) => {
    const client = createMeteredClient({
      hub: await planThenCredits(),
      baseURL: server.url,
      clientOptions: { maxRetries: 2 },
    });
    server.enqueue(failure(), failure(), replies.message({ usage: usage(1_006, 106) }));
    await client.messages.create(ask);
    expect(server.requests).toHaveLength(3);
    await assertConserved({ billing: server.billing, store: hub.store });
    expect(await held()).toBe(0);
  });

  it('charges a call retried with refreshed credentials after a 401 once', async () => {
    hub = await createHub({
      logger: silentLogger,
      plugins: [
        rotatingKeyStrategy('rotating', ['sk-ant-old-revoked-000001', CREDITS_KEY]),
        budget({ id: 'wallet', amount: '5' }),
      ],
      route: { entries: [{ id: 'main', strategy: 'rotating', pool: 'wallet' }] },
    });
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ usage: usage(1_007, 107) }));
    await client.messages.create(ask);
    expect(server.requests.map((r) => r.credential)).toEqual(['unknown', 'credits']);
    await assertConserved({ billing: server.billing, store: hub.store });
  });

  it('charges every request of an interleaving of creates, streams, aborts, retries and failovers exactly once', async () => {
    // Concurrent calls arrive in any order: each call's text picks its own replies, attempt by attempt.
    const script = new Map<string, ScriptedReply[]>([
      ['json', [replies.message({ usage: usage(2_001, 201) })]],
      ['stream', [replies.message({ usage: usage(2_002, 202) })]],
      ['retried', [replies.overloaded(), replies.message({ usage: usage(2_003, 203) })]],
      ['broken off', [replies.message({ usage: usage(2_004, 204), stream: { stallAfter: 'content_block_delta' } })]],
      [
        'failed over',
        [
          replies.planLimit({ resetAt: Math.floor(Date.now() / 1000) + 3600 }),
          replies.message({ usage: usage(2_005, 205) }),
        ],
      ],
      ['last', [replies.message({ usage: usage(2_006, 206) })]],
    ]);
    await server.close();
    server = await startAnthropicServer({
      credentials: { plan: PLAN_KEY, credits: CREDITS_KEY },
      fallback: (request) => {
        const text = (request.body!.messages as Array<{ content: string }>)[0]!.content;
        return script.get(text)!.shift()!;
      },
    });
    const client = createMeteredClient({ hub: await planThenCredits(), baseURL: server.url });
    const saying = (content: string) => ({ ...ask, messages: [{ role: 'user' as const, content }] });
    const create = async (content: string) => void (await client.messages.create(saying(content)));
    const streamToEnd = async (content: string) => {
      for await (const _ of await client.messages.create({ ...saying(content), stream: true }));
    };
    const streamBrokenOff = async (content: string) => {
      for await (const event of await client.messages.create({ ...saying(content), stream: true }))
        if (event.type === 'content_block_delta') break;
    };
    await Promise.all([
      create('json'),
      streamToEnd('stream'),
      create('retried'),
      streamBrokenOff('broken off'),
      streamToEnd('failed over'),
      create('last'),
    ]);
    await expect.poll(held).toBe(0);
    const report = await assertConserved({ billing: server.billing, store: hub.store });
    expect(report.bills).toHaveLength(6);
    expect(server.requests).toHaveLength(8);
  });
});

describe('the overrun bound of the metered client', () => {
  let server: AnthropicServer;
  let hub: Hub;
  beforeEach(async () => {
    server = await startAnthropicServer({ credentials: { credits: CREDITS_KEY } });
  });
  afterEach(async () => {
    await hub?.close();
    await server.close();
  });

  it('overruns a budget by at most what the last admitted request cost beyond its hold, then refuses before sending', async () => {
    hub = await createHub({
      logger: silentLogger,
      plugins: [apiKey({ id: 'key', key: CREDITS_KEY }), budget({ id: 'trial', amount: '0.10' })],
      route: { entries: [{ id: 'trial', strategy: 'key', pool: 'trial' }] },
    });
    const client = createMeteredClient({ hub, baseURL: server.url });
    // "Hi" is estimated at a handful of input tokens; the API reports 20,000 (a long system prompt
    // the estimate could not see), so each answer costs more than its hold.
    const holds: number[] = [];
    hub.on('request.routed', (e) => void holds.push(e.held));
    const costs: number[] = [];
    let refused: unknown;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      server.enqueue(replies.message({ usage: usage(20_000 + i, 100) }));
      try {
        const { drawdown } = await client.messages.create(ask).withResponse();
        costs.push(drawdown.settlement!.cost);
      } catch (error) {
        refused = error;
      }
    }
    expect(refused).toMatchObject({ code: 'DRAWDOWN_ROUTE_EXHAUSTED' });
    // The refused call never reached the API: every request sent was admitted, held and charged.
    expect(server.requests).toHaveLength(costs.length);
    const { billed } = await assertConserved({ billing: server.billing, store: hub.store });
    const budgetNanos = 100_000_000;
    expect(costs).toHaveLength(2);
    const last = costs.length - 1;
    expect(costs[last]!).toBeGreaterThan(holds[last]!);
    // Before the last request the pool was within its budget; the last one's excess over its hold is the bound.
    expect(billed - costs[last]!).toBeLessThanOrEqual(budgetNanos);
    expect(billed).toBeGreaterThan(budgetNanos);
    expect(billed - budgetNanos).toBeLessThanOrEqual(costs[last]! - holds[last]!);
  });
});
