// The tap fed ACP messages directly, shaped as claude-agent-acp 0.101 sends them (see tap.test.ts
// for the same paths driven through the real adapter). These cover what the adapter only does in
// situations a loopback run cannot provoke on demand: cost reported outside any prompt, a repeated
// report, a cleared session, a foreign currency, the route moving on.
import { afterEach, describe, expect, it } from 'vitest';
import { usd, type Hub } from '@drawdown/core';
import { createAcpTap, type AcpCharge } from '../src/index.js';
import { testHub } from './harness.js';

const hubs: Hub[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.close();
});

async function hubWithTap(options: Partial<Parameters<typeof createAcpTap>[0]> = {}, trialAmount?: string) {
  const hub = await testHub(undefined, trialAmount);
  hubs.push(hub);
  const charges: AcpCharge[] = [];
  const errors: unknown[] = [];
  const tap = createAcpTap({
    hub,
    entry: 'trial',
    onCharge: (c) => charges.push(c),
    onError: (e) => errors.push(e),
    ...options,
  });
  const spent = async () => (await hub.status()).pools.find((p) => p.id === 'trial')!.spent;
  return { hub, tap, charges, errors, spent };
}

const cost = (sessionId: string, amount: number, currency = 'USD', used = 1000) => ({
  jsonrpc: '2.0',
  method: 'session/update',
  params: {
    sessionId,
    update: {
      sessionUpdate: 'usage_update',
      used,
      size: 1_000_000,
      cost: { amount, currency },
      _meta: { '_claude/model': 'claude-opus-5-5' },
    },
  },
});

describe('ACP tap, message by message', () => {
  it('charges cost the agent reports outside any prompt once, however often the same total is reported', async () => {
    const { tap, charges, errors, spent } = await hubWithTap();
    tap.fromAgent(cost('s1', 0.0042));
    tap.fromAgent(cost('s1', 0.0042));
    tap.fromAgent(cost('s1', 0.0126));
    await tap.idle();
    expect(errors).toEqual([]);
    expect(await spent()).toBe(usd('0.0126'));
    expect(charges.map((c) => [c.kind, c.pricedFrom, c.costUsd])).toEqual([
      ['autonomous', 'reported-cost', '0.0042'],
      ['autonomous', 'reported-cost', '0.0084'],
    ]);
  });

  it('starts a new baseline when the cumulative cost goes down (the session was cleared)', async () => {
    const { tap, spent } = await hubWithTap();
    tap.fromAgent(cost('s1', 0.05));
    tap.fromAgent(cost('s1', 0.01));
    await tap.idle();
    expect(await spent()).toBe(usd('0.06'));
  });

  it('prices a prompt from its token counts, with the model the agent named when the rows carry none', async () => {
    const { hub, tap, charges, spent } = await hubWithTap();
    tap.fromClient({ jsonrpc: '2.0', id: 7, method: 'session/prompt', params: { sessionId: 's1', prompt: [] } });
    tap.fromAgent(cost('s1', 0.0042));
    tap.fromAgent({
      jsonrpc: '2.0',
      id: 7,
      result: {
        stopReason: 'end_turn',
        usage: { inputTokens: 1000, outputTokens: 10, cachedReadTokens: 0, cachedWriteTokens: 0 },
      },
    });
    await tap.idle();
    const expected = hub.rateCard.price('claude-opus-5-5', { input_tokens: 1000, output_tokens: 10 }).total;
    expect(await spent()).toBe(expected);
    expect(charges[0]).toMatchObject({ kind: 'prompt', pricedFrom: 'tokens', reportedCostUsd: '0.0042' });
  });

  it('reports a cost in another currency as an error and charges nothing', async () => {
    const { tap, errors, spent } = await hubWithTap();
    tap.fromAgent(cost('s1', 1.5, 'EUR'));
    await tap.idle();
    expect(await spent()).toBe(0);
    expect(errors).toEqual([expect.objectContaining({ code: 'DRAWDOWN_ACP_UNSUPPORTED_CURRENCY' })]);
  });

  it('does not charge history a session/load replays', async () => {
    const { hub, tap, spent } = await hubWithTap();
    await hub.store.setState('acp.baseline.s1', { covered: '0.02' });
    tap.fromClient({
      jsonrpc: '2.0',
      id: 1,
      method: 'session/load',
      params: { sessionId: 's1', cwd: '/', mcpServers: [] },
    });
    tap.fromAgent(cost('s1', 0.03));
    tap.fromAgent({ jsonrpc: '2.0', id: 1, result: {} });
    tap.fromAgent(cost('s1', 0.035));
    await tap.idle();
    expect(await spent()).toBe(usd('0.005'));
  });

  it('with followRoute, admit() says when the route has left the agent’s entry, and the hub announces route.switched', async () => {
    const { hub, tap, spent } = await hubWithTap({ followRoute: true }, '0.02');
    const switched: string[] = [];
    hub.on('route.switched', (e) => {
      switched.push(`${e.from}→${e.to}`);
    });
    expect(await tap.admit('s1')).toEqual({ entry: 'trial', switched: false });
    tap.fromClient({ jsonrpc: '2.0', id: 1, method: 'session/prompt', params: { sessionId: 's1', prompt: [] } });
    tap.fromAgent(cost('s1', 0.03));
    tap.fromAgent({ jsonrpc: '2.0', id: 1, result: { stopReason: 'end_turn' } });
    await tap.idle();
    expect(await spent()).toBe(usd('0.03'));
    expect(await tap.admit('s1')).toEqual({ entry: 'personal', switched: true });
    expect(switched).toEqual(['trial→personal']);
    const summary = await tap.close();
    expect(summary).toMatchObject({ prompts: 1, chargedUsd: '0.03', interrupted: 0 });
    expect((await hub.status()).pools.every((p) => p.held === 0)).toBe(true);
  });
});

/** An OTLP/HTTP JSON logs export with one `claude_code.api_request` per call, as Claude Code 2.1.332 sends it. */
const otlp = (calls: Array<{ session: string; id: string; input: number; output: number }>) => ({
  resourceLogs: [
    {
      scopeLogs: [
        {
          logRecords: calls.map((c) => ({
            body: { stringValue: 'claude_code.api_request' },
            attributes: [
              ['session.id', { stringValue: c.session }],
              ['request_id', { stringValue: c.id }],
              ['model', { stringValue: 'claude-opus-5-5' }],
              ['input_tokens', { intValue: String(c.input) }],
              ['output_tokens', { intValue: String(c.output) }],
              ['cache_read_tokens', { intValue: '0' }],
              ['cache_creation_tokens', { intValue: '0' }],
            ].map(([key, value]) => ({ key, value })),
          })),
        },
      ],
    },
  ],
});
const usedUpdate = (sessionId: string, used: number) => ({
  jsonrpc: '2.0',
  method: 'session/update',
  params: {
    sessionId,
    update: { sessionUpdate: 'usage_update', used, size: 1_000_000, _meta: { '_claude/model': 'claude-opus-5-5' } },
  },
});
const promptRequest = (id: number, sessionId: string) => ({
  jsonrpc: '2.0',
  id,
  method: 'session/prompt',
  params: { sessionId, prompt: [{ type: 'text', text: 'hi' }] },
});
const stopped = (id: number, stopReason: string) => ({ jsonrpc: '2.0', id, result: { stopReason } });

describe('ACP tap, telemetry pricing', () => {
  it('charges each reported call once, and at close the call a cancelled prompt aborted as the API billed it', async () => {
    const { hub, tap, charges, errors, spent } = await hubWithTap({ pricing: 'telemetry' });
    tap.fromClient(promptRequest(1, 's1'));
    tap.fromAgent(usedUpdate('s1', 1001));
    tap.fromAgent(usedUpdate('s1', 1050));
    tap.fromAgent(cost('s1', 0.005));
    tap.fromAgent(stopped(1, 'end_turn'));
    // The turn's call and the session title after it, exported twice (a retried export).
    const calls = otlp([
      { session: 's1', id: 'req_1', input: 1000, output: 50 },
      { session: 's1', id: 'req_2', input: 2000, output: 100 },
    ]);
    await tap.fromTelemetry(calls);
    await tap.fromTelemetry(calls);
    // A second prompt: its call streams 50,000 input tokens, then the user cancels.
    tap.fromClient(promptRequest(2, 's1'));
    tap.fromAgent(usedUpdate('s1', 50_001));
    tap.fromAgent(cost('s1', 0.015, 'USD', 50_001));
    tap.fromAgent(stopped(2, 'cancelled'));
    // A third prompt cancelled while a tool ran: its last call had completed and was reported.
    tap.fromClient(promptRequest(3, 's1'));
    await tap.fromTelemetry(otlp([{ session: 's1', id: 'req_3', input: 700, output: 30 }]));
    tap.fromAgent(usedUpdate('s1', 730));
    tap.fromAgent(stopped(3, 'cancelled'));
    await tap.idle();
    const card = hub.rateCard;
    const price = (input: number, output: number) =>
      card.price('claude-opus-5-5', { input_tokens: input, output_tokens: output }).total;
    expect(await spent()).toBe(price(1000, 50) + price(2000, 100) + price(700, 30));
    const summary = await tap.close();
    expect(errors).toEqual([]);
    // 50,000 input and one output token: $0.20002 at Opus 5.5, charged once.
    expect(await spent()).toBe(price(1000, 50) + price(2000, 100) + price(700, 30) + usd('0.20002'));
    expect(summary.charged).toBe(await spent());
    expect(charges.map((c) => [c.kind, c.costUsd])).toEqual([['aborted', '0.20002']]);
    expect((await hub.status()).pools.find((p) => p.id === 'trial')!.held).toBe(0);
  });

  it('charges the reported cost of a session whose telemetry never arrived, with a warning', async () => {
    const { tap, errors, spent } = await hubWithTap({ pricing: 'telemetry' });
    tap.fromClient(promptRequest(1, 's2'));
    tap.fromAgent(cost('s2', 0.0125));
    tap.fromAgent(stopped(1, 'end_turn'));
    await tap.idle();
    expect(await spent()).toBe(0);
    await tap.close();
    expect(errors).toEqual([]);
    expect(await spent()).toBe(usd('0.0125'));
  });

  it('refuses the next prompt through admit() once the entry cannot hold it, naming the pool and its limit', async () => {
    const { hub, tap } = await hubWithTap({ pricing: 'telemetry' }, '0.01');
    const first = await tap.admit('s3');
    expect(first.refused).toBeUndefined();
    tap.fromClient(promptRequest(1, 's3'));
    tap.fromAgent(stopped(1, 'end_turn'));
    await tap.fromTelemetry(otlp([{ session: 's3', id: 'req_9', input: 5000, output: 100 }]));
    const second = await tap.admit('s3');
    expect(second.refused).toMatchObject({
      code: 'DRAWDOWN_ROUTE_EXHAUSTED',
      message: expect.stringContaining('trial'),
    });
    expect((await hub.status()).pools.find((p) => p.id === 'trial')!.held).toBe(0);
    await tap.close();
  });

  it('refuses admit() after close() with its own code, since the hub is still open', async () => {
    const { hub, tap } = await hubWithTap();
    await tap.close();
    await expect(tap.admit('s4')).rejects.toMatchObject({ code: 'DRAWDOWN_ACP_TAP_CLOSED' });
    expect((await hub.status()).pools.length).toBeGreaterThan(0);
  });
});
