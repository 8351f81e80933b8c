import Anthropic from '@anthropic-ai/sdk';
import { defaultRateCard, memoryStore } from '@drawdown/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConservation, replies, startAnthropicServer, type AnthropicServer } from '../src/index.js';

const KEY = 'sk-ant-test-billing-0001';
const params = { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'Hi' }] };

describe('the billing log', () => {
  let server: AnthropicServer;
  let client: Anthropic;
  beforeEach(async () => {
    server = await startAnthropicServer({ credentials: { team: KEY } });
    client = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
  });
  afterEach(async () => {
    await server.close();
  });

  it('bills a JSON answer at its whole usage, naming the key, the request id and the message', async () => {
    server.enqueue(replies.message({ usage: { input_tokens: 120, output_tokens: 30 } }));
    const { data, request_id } = await client.messages.create(params).withResponse();
    expect(server.billing).toEqual([
      expect.objectContaining({
        requestId: request_id,
        messageId: data.id,
        credential: 'team',
        model: 'claude-sonnet-5-5',
        usage: expect.objectContaining({ input_tokens: 120, output_tokens: 30 }),
        stream: false,
        complete: true,
      }),
    ]);
  });

  it('bills an aborted stream at what its events had reported, and a stream cut before message_start not at all', async () => {
    server.enqueue(
      replies.message({ usage: { input_tokens: 5_000, output_tokens: 800 }, stream: { stallAfter: 'message_start' } }),
      replies.message({ usage: { input_tokens: 7_000, output_tokens: 900 }, stream: { stallAfter: 'headers' } }),
      replies.message({ usage: { input_tokens: 9_000, output_tokens: 700 } }),
    );
    const cut = await client.messages.create({ ...params, stream: true });
    for await (const event of cut) if (event.type === 'message_start') cut.controller.abort();
    // The SDK ends an aborted stream quietly: what matters is that nothing was reported, so nothing is billed.
    const silent = await client.messages.create({ ...params, stream: true });
    silent.controller.abort();
    for await (const _ of silent);
    const whole = await client.messages.create({ ...params, stream: true });
    for await (const _ of whole);
    expect(server.billing.map((b) => [b.usage.input_tokens, b.usage.output_tokens, b.complete])).toEqual([
      [5_000, 1, false], // message_start reports the input and one output token so far
      [9_000, 700, true],
    ]);
  });

  it('is the oracle: a ledger that charges each bill once conserves it, a double or missing charge is named', async () => {
    server.enqueue(
      replies.message({ usage: { input_tokens: 1_000, output_tokens: 100 } }),
      replies.message({ usage: { input_tokens: 2_000, output_tokens: 100 } }),
    );
    await client.messages.create(params);
    await client.messages.create(params);
    const store = memoryStore();
    const charge = async (account: string, key: string, usage: Record<string, unknown>) => {
      const cost = defaultRateCard.price('claude-sonnet-5-5', usage, { at: Date.now() }).total;
      await store.settle({
        account,
        key,
        cost,
        now: Date.now(),
        meta: { model: 'claude-sonnet-5-5' },
        scopes: [],
        day: '2026-12-03',
      });
    };
    await charge('trial', 'a', server.billing[0]!.usage);
    // A gateway key's account mirrors the charge for its budget: never counted as spend.
    await charge('gateway-key:k1', 'a', server.billing[0]!.usage);
    let report = await checkConservation({ billing: server.billing, store });
    expect(report.conserved).toBe(false);
    expect(report.unmatchedBills.map((b) => b.bill.usage.input_tokens)).toEqual([2_000]);
    expect(report.explain()).toMatch(
      /billed 2 requests, \$0\.008; ledger 1 charges, \$0\.003\n {2}billed, not charged: claude-sonnet-5-5 \$0\.005/,
    );
    await charge('credits', 'b', server.billing[1]!.usage);
    report = await checkConservation({ billing: server.billing, store });
    expect(report).toMatchObject({ conserved: true, billed: 8_000_000, charged: 8_000_000 });
    await charge('credits', 'b-again', server.billing[1]!.usage);
    report = await checkConservation({ billing: server.billing, store });
    expect(report.conserved).toBe(false);
    expect(report.unmatchedCharges).toEqual([expect.objectContaining({ account: 'credits', cost: 5_000_000 })]);
  });

  it('asks no charge of a request priced at $0, and counts none recorded for it', async () => {
    server.enqueue(
      replies.message({ usage: { input_tokens: 0, output_tokens: 0 } }),
      replies.message({ usage: { input_tokens: 1_000, output_tokens: 0 } }),
    );
    await client.messages.create(params);
    await client.messages.create(params);
    const store = memoryStore();
    const settle = (key: string, cost: number) =>
      store.settle({ account: 'trial', key, cost, now: Date.now(), meta: {}, scopes: [], day: '2026-12-03' });
    await settle('side', 0);
    expect((await checkConservation({ billing: server.billing, store })).unmatchedBills).toHaveLength(1);
    await settle(
      'turn',
      defaultRateCard.price('claude-sonnet-5-5', server.billing[1]!.usage, { at: Date.now() }).total,
    );
    expect(await checkConservation({ billing: server.billing, store })).toMatchObject({ conserved: true });
  });
});
