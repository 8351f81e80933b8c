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

const cost = (sessionId: string, amount: number, currency = 'USD') => ({
  jsonrpc: '2.0',
  method: 'session/update',
  params: {
    sessionId,
    update: {
      sessionUpdate: 'usage_update',
      used: 1000,
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
