import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { query } from '@anthropic-ai/claude-agent-sdk';
import {
  claudeCodeEnv,
  replies,
  startAnthropicServer,
  type AnthropicServer,
  type RecordedRequest,
  type ScriptedUsage,
} from '@drawdown/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgentSdkMeter } from '../../src/agent-sdk/index.js';
import {
  apiKey,
  budget,
  createHub,
  memoryStore,
  silentLogger,
  usd,
  type Hub,
  type LedgerStore,
} from '../../src/index.js';

/**
 * The real `@anthropic-ai/claude-agent-sdk` (its `query()` runs its own bundled Claude Code) against
 * the testkit's loopback server. Each scenario is charged exactly the rate card's price of the usage
 * the server reported on the API calls of the turns being charged.
 */
describe('Agent SDK meter with the real Agent SDK', { timeout: 120_000 }, () => {
  const TEST_KEY = 'sk-ant-loopback-test-key-0001';
  let server: AnthropicServer;
  let store: LedgerStore;
  let hub: Hub;
  let home: string;
  /** What the server answers next: tokens it reports, including a 5-minute/1-hour cache split. */
  let usage: ScriptedUsage;

  beforeEach(async () => {
    usage = { input_tokens: 1_200, output_tokens: 80, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
    server = await startAnthropicServer({
      credentials: { test: TEST_KEY },
      fallback: () => replies.message({ text: 'Done.', usage }),
    });
    home = mkdtempSync(path.join(tmpdir(), 'drawdown-agent-sdk-'));
    store = memoryStore();
    hub = await createHub({
      store,
      logger: silentLogger,
      plugins: [
        apiKey({ id: 'bundled', key: TEST_KEY }),
        budget({ id: 'trial', amount: '10' }),
        budget({ id: 'plan', amount: '100' }),
      ],
      // Both entries reach the loopback server with the test key: what is under test is who pays.
      route: {
        entries: [
          { id: 'trial', strategy: 'bundled', pool: 'trial' },
          { id: 'personal', strategy: 'bundled', pool: 'plan' },
        ],
      },
    });
  });
  afterEach(async () => {
    await hub.close();
    await store.close();
    await server.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** Runs one real query, feeding every message to the meter; returns the session id and the server calls it made. */
  async function turn(
    meter: ReturnType<typeof createAgentSdkMeter>,
    prompt: string,
    extra: Record<string, unknown> = {},
  ) {
    const before = server.requests.length;
    let sessionId = '';
    let result: Record<string, unknown> | undefined;
    const env = claudeCodeEnv({ baseUrl: server.url, home, apiKey: TEST_KEY });
    for await (const message of query({ prompt, options: { env, maxTurns: 1, ...extra } })) {
      await meter.observe(message);
      if (message.type === 'result') {
        sessionId = message.session_id;
        result = message as unknown as Record<string, unknown>;
      }
    }
    const calls = server.requests.slice(before).filter((r) => r.path === '/v1/messages' && r.reply?.status === 200);
    return { sessionId, result: result!, calls };
  }
  /** The rate card's price of what the server reported for these calls. */
  const priceOf = (calls: RecordedRequest[]): number =>
    calls.reduce((sum, c) => sum + hub.rateCard.price(c.reply!.model!, c.reply!.usage).total, 0);
  const spent = async (pool: string) => (await hub.pool(pool).status()).spent;

  it('charges a plain turn the rate-card price of the usage the server reported', async () => {
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    const { calls, result } = await turn(meter, 'hello');
    expect(calls.length).toBeGreaterThan(0);
    expect(result.subtype).toBe('success');
    expect(await spent('trial')).toBe(priceOf(calls));
    expect(meter.charged).toBe(priceOf(calls));
    // Every call reached the server with the test key and was answered (HEAD /api/hello included).
    expect(server.requests.every((r) => r.reply === undefined || r.reply.status === 200)).toBe(true);
    expect(server.requests.some((r) => r.method === 'HEAD' && r.path === '/api/hello')).toBe(true);
  });

  it('charges a resumed session only for its new turn, also when another entry pays for it', async () => {
    const first = await turn(createAgentSdkMeter({ hub, entry: 'trial' }), 'hello');
    usage = { ...usage, input_tokens: 2_500, output_tokens: 40 };
    const same = await turn(createAgentSdkMeter({ hub, entry: 'trial' }), 'and again', { resume: first.sessionId });
    expect(same.sessionId).toBe(first.sessionId);
    expect(await spent('trial')).toBe(priceOf([...first.calls, ...same.calls]));
    // The trial ran out: the same conversation goes on under the personal entry.
    usage = { ...usage, input_tokens: 4_000, output_tokens: 120 };
    const personal = await turn(createAgentSdkMeter({ hub, entry: 'personal' }), 'once more', {
      resume: first.sessionId,
    });
    expect(personal.sessionId).toBe(first.sessionId);
    expect(await spent('plan')).toBe(priceOf(personal.calls));
    expect(await spent('trial')).toBe(priceOf([...first.calls, ...same.calls]));
  });

  it("charges a fork only for its own turn although its first result includes the parent's spend", async () => {
    const parent = await turn(createAgentSdkMeter({ hub, entry: 'trial' }), 'hello');
    usage = { ...usage, input_tokens: 3_000, output_tokens: 60 };
    const meter = createAgentSdkMeter({ hub, entry: 'trial', forkOf: parent.sessionId });
    const fork = await turn(meter, 'try another way', { resume: parent.sessionId, forkSession: true });
    expect(fork.sessionId).not.toBe(parent.sessionId);
    // The agent's cumulative figure counts the parent's turn too.
    expect(usd(fork.result.total_cost_usd as number)).toBeGreaterThan(usd(parent.result.total_cost_usd as number));
    expect(meter.charged).toBe(priceOf(fork.calls));
    expect(await spent('trial')).toBe(priceOf([...parent.calls, ...fork.calls]));
  });

  it("charges a fork the app did not declare only for its own turn: the parent's history is not charged again", async () => {
    const parent = await turn(createAgentSdkMeter({ hub, entry: 'trial' }), 'hello');
    usage = { ...usage, input_tokens: 3_000, output_tokens: 60 };
    // No forkOf, no expectFork: the meter finds the inherited part itself.
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    const fork = await turn(meter, 'try another way', { resume: parent.sessionId, forkSession: true });
    expect(fork.sessionId).not.toBe(parent.sessionId);
    expect(usd(fork.result.total_cost_usd as number)).toBeGreaterThan(usd(parent.result.total_cost_usd as number));
    expect(meter.charged).toBe(priceOf(fork.calls));
    expect(await spent('trial')).toBe(priceOf([...parent.calls, ...fork.calls]));
    // A second fork of the same parent, under the next entry: again only its own turn.
    usage = { ...usage, input_tokens: 500, output_tokens: 20 };
    const personal = createAgentSdkMeter({ hub, entry: 'personal' });
    const second = await turn(personal, 'and a third way', { resume: parent.sessionId, forkSession: true });
    expect(await spent('plan')).toBe(priceOf(second.calls));
    expect(await spent('trial')).toBe(priceOf([...parent.calls, ...fork.calls]));
  });

  it('refuses a query once the trial is used up, having overrun it by less than one call', async () => {
    const small = await createHub({
      store: memoryStore(),
      logger: silentLogger,
      plugins: [apiKey({ id: 'bundled', key: TEST_KEY }), budget({ id: 'trial', amount: '0.05' })],
      route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
    });
    try {
      // Each query is one call of 4,000 in / 100 out: $0.018 at Opus 5.5.
      usage = { input_tokens: 4_000, output_tokens: 100, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
      const meter = createAgentSdkMeter({ hub: small, entry: 'trial' });
      const env = claudeCodeEnv({ baseUrl: server.url, home, apiKey: TEST_KEY });
      const budgets: number[] = [];
      const subtypes: string[] = [];
      let refusal: unknown;
      for (let i = 0; i < 6; i++) {
        let maxBudgetUsd: number | undefined;
        try {
          ({ maxBudgetUsd } = await meter.admit());
        } catch (error) {
          refusal = error;
          break;
        }
        budgets.push(maxBudgetUsd!);
        try {
          for await (const message of query({ prompt: `turn ${i}`, options: { env, maxTurns: 1, maxBudgetUsd } })) {
            await meter.observe(message);
            if (message.type === 'result') subtypes.push(message.subtype);
          }
        } catch {
          // The SDK ends a query that passed its maxBudgetUsd with an error, after its result message.
        }
      }
      expect(refusal).toMatchObject({ code: 'DRAWDOWN_ROUTE_EXHAUSTED', message: expect.stringContaining('trial') });
      // The room left went to each query as its maxBudgetUsd; the query that used it up said so.
      expect(budgets[0]).toBe(0.05);
      expect(subtypes).toContain('error_max_budget_usd');
      const calls = server.requests.filter((r) => r.path === '/v1/messages' && r.reply?.status === 200);
      const oneCall = hub.rateCard.price(calls[0]!.reply!.model!, calls[0]!.reply!.usage).total;
      const trial = await small.pool('trial').status();
      expect(trial.spent).toBe(priceOf(calls));
      expect(trial.spent).toBeGreaterThan(usd('0.05'));
      expect(trial.spent - usd('0.05')).toBeLessThan(oneCall);
      expect(trial.held).toBe(0);
    } finally {
      await small.close();
    }
  });

  it('prices 1-hour cache writes at the 1-hour rate', async () => {
    usage = {
      input_tokens: 900,
      output_tokens: 30,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 60_000,
      cache_creation: { ephemeral_5m_input_tokens: 20_000, ephemeral_1h_input_tokens: 40_000 },
    };
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    const { calls, result } = await turn(meter, 'hello');
    const modelUsage = Object.values(result.modelUsage as Record<string, Record<string, number>>)[0]!;
    expect(modelUsage).toMatchObject({
      cacheCreationEphemeral1hInputTokens: 40_000 * calls.length,
      cacheCreationEphemeral5mInputTokens: 20_000 * calls.length,
    });
    expect(meter.charged).toBe(priceOf(calls));
    // At the 5-minute rate the same turn would have cost less.
    const allFiveMinute = calls.reduce(
      (sum, c) =>
        sum +
        hub.rateCard.price(c.reply!.model!, {
          ...c.reply!.usage,
          cache_creation: { ephemeral_5m_input_tokens: 60_000, ephemeral_1h_input_tokens: 0 },
        }).total,
      0,
    );
    expect(meter.charged).toBeGreaterThan(allFiveMinute);
  });
});
