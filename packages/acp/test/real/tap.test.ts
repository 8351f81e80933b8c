import { afterEach, describe, expect, it } from 'vitest';
import { createRateCard, toDecimalString, type Hub, type RateCard } from '@drawdown/core';
import { assertConserved, checkConservation, unifiedRateLimitHeaders } from '@drawdown/testkit';
import { createAcpTap, tapStream, type AcpCharge, type AcpTap, type MessageStream } from '../../src/index.js';
import {
  ADAPTER_BIN,
  agentHome,
  initialize,
  newSession,
  prompt,
  startLoopback,
  testHub,
  withAcpClient,
  type ScriptedUsage,
} from '../harness.js';

const USAGE: Record<string, ScriptedUsage> = {
  a: { input_tokens: 1200, output_tokens: 80, cache_read_input_tokens: 3000, cache_creation_input_tokens: 500 },
  b: { input_tokens: 900, output_tokens: 40, cache_read_input_tokens: 4200 },
  c: { input_tokens: 1500, output_tokens: 120 },
  d: { input_tokens: 2500, output_tokens: 60, cache_read_input_tokens: 1000 },
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(extra?: Parameters<typeof startLoopback>[1], rateCard?: RateCard) {
  const loopback = await startLoopback(USAGE, extra);
  const hub = await testHub(undefined, undefined, rateCard);
  const { home, env } = agentHome();
  cleanups.push(async () => {
    await hub.close();
    await loopback.server.close();
  });
  /** The adapter's environment for a route entry: the entry's credentials, pointed at the loopback server. */
  const agentEnv = (entry: string): NodeJS.ProcessEnv => ({
    ...(hub.childEnv(entry, env) as NodeJS.ProcessEnv),
    ANTHROPIC_BASE_URL: loopback.server.url,
  });
  return { ...loopback, hub, home, agentEnv };
}

const spent = async (hub: Hub, pool: string) => (await hub.status()).pools.find((p) => p.id === pool)!;

function tapped(hub: Hub, entry: string, options: Partial<Parameters<typeof createAcpTap>[0]> = {}) {
  const charges: AcpCharge[] = [];
  const errors: unknown[] = [];
  const tap: AcpTap = createAcpTap({
    hub,
    entry,
    onCharge: (c) => charges.push(c),
    onError: (e) => errors.push(e),
    ...options,
  });
  return { tap, charges, errors, wrap: <M>(stream: MessageStream<M>) => tapStream(stream, tap) };
}

describe('ACP tap on the real claude-agent-acp', () => {
  it('charges an ACP session exactly the rate-card price of the usage the server returned, prompt by prompt', async () => {
    const { hub, home, agentEnv, returned, server } = await setup();
    const { tap, charges, errors, wrap } = tapped(hub, 'trial');
    const { value: responses } = await withAcpClient(
      [process.execPath, ADAPTER_BIN],
      agentEnv('trial'),
      async ({ ctx, child }) => {
        await initialize(ctx);
        const sessionId = await newSession(ctx, home);
        const out = [
          await prompt(ctx, sessionId, 'a'),
          await prompt(ctx, sessionId, 'b'),
          await prompt(ctx, sessionId, 'c'),
        ];
        child.kill();
        return out;
      },
      { wrap },
    );
    const summary = await tap.close();
    expect(errors).toEqual([]);
    expect(responses.map((r) => r.stopReason)).toEqual(['end_turn', 'end_turn', 'end_turn']);
    expect(returned.map((r) => [r.name, r.credential])).toEqual([
      ['a', 'trial'],
      ['b', 'trial'],
      ['c', 'trial'],
    ]);
    const { billed: expected, bills } = await assertConserved({ billing: server.billing, store: hub.store });
    expect(expected).toBeGreaterThan(0);
    expect(summary).toMatchObject({ prompts: 3, charged: expected, interrupted: 0 });
    const trial = await spent(hub, 'trial');
    expect(trial.spent).toBe(expected);
    expect(trial.held).toBe(0);
    // Each turn priced from its tokens; the agent's own float cost agrees with the rate card to the nanodollar.
    expect(charges.map((c) => [c.kind, c.pricedFrom, c.status])).toEqual([
      ['prompt', 'tokens', 'charged'],
      ['prompt', 'tokens', 'charged'],
      ['prompt', 'tokens', 'charged'],
    ]);
    for (const [i, c] of charges.entries()) {
      expect(c.cost).toBe(bills.find((b) => b.bill.requestId === returned[i]!.requestId)!.cost);
      expect(c.reportedCostUsd).toBe(c.costUsd);
    }
  });

  it('prices a turn from its tokens by our rate card when it disagrees with the agent’s own float cost', async () => {
    // A price change the agent does not know about yet: our card has Opus 5.5 at half price from today.
    const today = new Date().toISOString().slice(0, 10);
    const card = createRateCard({
      overrides: [
        {
          model: 'claude-opus-5-5',
          effectiveFrom: today,
          inputPerMTok: '2',
          cacheWrite5mPerMTok: '2.5',
          cacheWrite1hPerMTok: '4',
          cacheReadPerMTok: '0.10',
          outputPerMTok: '10',
        },
      ],
    });
    const { hub, home, agentEnv, returned, server } = await setup(undefined, card);
    const { tap, charges, errors, wrap } = tapped(hub, 'trial');
    await withAcpClient(
      [process.execPath, ADAPTER_BIN],
      agentEnv('trial'),
      async ({ ctx, child }) => {
        await initialize(ctx);
        await prompt(ctx, await newSession(ctx, home), 'a');
        child.kill();
      },
      { wrap },
    );
    await tap.close();
    expect(errors).toEqual([]);
    expect(returned.map((r) => r.model)).toEqual(['claude-opus-5-5']);
    const { billed: ours } = await assertConserved({ billing: server.billing, store: hub.store, rateCard: card });
    expect(ours).toBe(card.price('claude-opus-5-5', USAGE.a).total);
    expect((await spent(hub, 'trial')).spent).toBe(ours);
    expect(charges).toEqual([expect.objectContaining({ pricedFrom: 'tokens', costUsd: toDecimalString(ours) })]);
    // The agent priced the same turn at the published rate: twice ours.
    expect(charges[0]!.reportedCostUsd).toBe(toDecimalString(2 * ours));
  });

  it.each(['reported-cost', 'tokens'] as const)(
    'continues a session resumed under another entry from where it was, and starts a fork from its own spend (%s pricing)',
    async (pricing) => {
      const resetAt = Math.floor(Date.now() / 1000) + 3600;
      const { hub, home, agentEnv, returned, ...loopback } = await setup((name) =>
        name === 'b'
          ? {
              headers: unifiedRateLimitHeaders({
                status: 'allowed',
                representativeClaim: 'five_hour',
                resetAt,
                windows: { five_hour: { utilization: 0.42 } },
              }),
            }
          : {},
      );
      // With the agent's own cumulative cost, the per-session baselines are what prevents double charges.
      const first = tapped(hub, 'trial', { pricing });
      const { value: sessionId } = await withAcpClient(
        [process.execPath, ADAPTER_BIN],
        agentEnv('trial'),
        async ({ ctx, child }) => {
          await initialize(ctx);
          const id = await newSession(ctx, home);
          await prompt(ctx, id, 'a');
          child.kill();
          return id;
        },
        { wrap: first.wrap },
      );
      await first.tap.close();
      // The trial ran out: the app restarts the agent under "personal" and resumes the same session.
      const second = tapped(hub, 'personal', { pricing });
      const { value: forkId } = await withAcpClient(
        [process.execPath, ADAPTER_BIN],
        agentEnv('personal'),
        async ({ ctx, child }) => {
          await initialize(ctx);
          await ctx.request('session/resume', { sessionId, cwd: home, mcpServers: [] });
          await prompt(ctx, sessionId, 'b');
          const fork = await ctx.request<{ sessionId: string }>('session/fork', {
            sessionId,
            cwd: home,
            mcpServers: [],
          });
          await prompt(ctx, fork.sessionId, 'c');
          child.kill();
          return fork.sessionId;
        },
        { wrap: second.wrap },
      );
      await second.tap.close();
      expect([...first.errors, ...second.errors]).toEqual([]);
      expect(forkId).not.toBe(sessionId);
      const { bills } = await assertConserved({ billing: loopback.server.billing, store: hub.store });
      const price = (name: string) =>
        bills
          .filter((b) => returned.some((r) => r.name === name && r.requestId === b.bill.requestId))
          .reduce((sum, b) => sum + b.cost, 0);
      expect(returned.map((r) => [r.name, r.credential])).toEqual([
        ['a', 'trial'],
        ['b', 'personal'],
        ['c', 'personal'],
      ]);
      // In personal mode the agent authenticated with the user's sign-in, never the bundled key.
      expect(
        loopback.server.requests.filter((r) => r.credential === 'personal').every((r) => r.authScheme === 'bearer'),
      ).toBe(true);
      expect((await spent(hub, 'trial')).spent).toBe(price('a'));
      expect((await spent(hub, 'plan')).spent).toBe(price('b') + price('c'));
      expect(second.charges.map((c) => [c.sessionId, c.pricedFrom, c.costUsd])).toEqual([
        [sessionId, pricing, toDecimalString(price('b'))],
        [forkId, pricing, toDecimalString(price('c'))],
      ]);
      // Signed in, Claude Code reports the plan window it saw; the adapter's usage_update _meta brought it to the plan pool.
      const plan = await spent(hub, 'plan');
      expect(plan.resetsAt).toBe(resetAt * 1000);
    },
  );

  it('releases the hold of a prompt the agent died in, and charges nothing twice', async () => {
    const { hub, home, agentEnv, returned, server } = await setup((name) =>
      name === 'd' ? { stream: { stallAfter: 'content_block_delta' } } : {},
    );
    const { tap, charges, errors, wrap } = tapped(hub, 'trial');
    let heldWhileRunning = -1;
    await withAcpClient(
      [process.execPath, ADAPTER_BIN],
      agentEnv('trial'),
      async ({ ctx, child }) => {
        await initialize(ctx);
        const id = await newSession(ctx, home);
        await prompt(ctx, id, 'a');
        const running = prompt(ctx, id, 'd').then(
          () => 'answered',
          () => 'failed',
        );
        // Wait until the stalled request reached the server, then kill the agent mid-turn.
        for (let i = 0; i < 600 && !returned.some((r) => r.name === 'd'); i++)
          await new Promise((r) => setTimeout(r, 100));
        await tap.idle();
        heldWhileRunning = (await spent(hub, 'trial')).held;
        child.kill('SIGKILL');
        expect(await running).toBe('failed');
      },
      { wrap },
    ).catch(() => undefined);
    const summary = await tap.close();
    await tap.close();
    expect(errors).toEqual([]);
    expect(heldWhileRunning).toBe(10_000_000);
    expect(summary.interrupted).toBe(1);
    const trial = await spent(hub, 'trial');
    expect(trial.held).toBe(0);
    expect(charges).toHaveLength(1);
    // Priced from the agent's own reports, the tap cannot see the call the agent died in: the upstream
    // billed what its message_start carried, and that one bill is all the ledger lacks. (`drawdown acp`
    // charges it from the agent's telemetry: the cli-real ACP conservation tests.)
    const report = await checkConservation({ billing: server.billing, store: hub.store });
    const died = returned.find((r) => r.name === 'd')!.requestId;
    expect(report.unmatchedBills.map((b) => [b.bill.requestId, b.bill.complete])).toEqual([[died, false]]);
    expect(report.unmatchedCharges).toEqual([]);
    expect(trial.spent).toBe(report.charged);
  });
});

describe('createAcpTap options', () => {
  it('names the field and the fix for bad options', async () => {
    const hub = await testHub();
    cleanups.push(() => hub.close());
    expect(() => createAcpTap({ hub, entry: '' })).toThrow(/option "entry" is missing/);
    expect(() => createAcpTap({ hub, entry: 'nowhere' })).toThrow(/nowhere/);
    expect(() => createAcpTap({ hub, entry: 'trial', holdPerPrompt: 'ten' })).toThrow(/option "holdPerPrompt"/);
    expect(() => createAcpTap({ hub, entry: 'trial', pricing: 'float' as never })).toThrow(
      /option "pricing" is "float"/,
    );
    expect(() => createAcpTap({ hub: undefined as never, entry: 'trial' })).toThrow(/option "hub" is missing/);
  });
});
