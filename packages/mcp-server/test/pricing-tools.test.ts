import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callError, callJson, newClient, seededLedger, stdioTransport, type TestClient } from './helpers.js';

// estimate_cost and rate_card through the real SDK client over stdio: today's models, the usage
// modifiers, dated prices, and refusals of values the rate card does not know.
describe('pricing tools', () => {
  let client: TestClient;
  beforeAll(async () => {
    client = newClient({ era: 'modern' });
    await client.connect(stdioTransport({ DRAWDOWN_DB: await seededLedger() }));
  });
  afterAll(async () => {
    await client?.close();
  });

  it("estimates today's models with fast mode, US inference and prompt bands, naming the price row", async () => {
    // Opus 5.5 fast: $8 in / $40 out, × 1.1 US: (1000 × 8 + 1000 × 40) × 1.1 = 52,800 µ$
    const fast = await callJson(client, 'estimate_cost', {
      model: 'claude-opus-5-5[1m]',
      inputTokens: 1000,
      maxTokens: 1000,
      speed: 'fast',
      geo: 'us',
      at: '2026-11-23',
    });
    expect(fast).toMatchObject({
      model: 'claude-opus-5-5',
      maxCostUsd: '0.0528',
      priceRow: 'claude-opus-5-5@2026-09-23',
      modifiers: { batch: false, fast: true, usInference: true },
    });
    // Haiku 5.5 above 100,000 prompt tokens: 100,001 × $0.50 + 1,000 × $2.50 = 50,000.5 + 2,500 µ$
    const banded = await callJson(client, 'estimate_cost', {
      model: 'global.anthropic.claude-haiku-5-5',
      inputTokens: 100_001,
      maxTokens: 1000,
      at: '2026-11-23',
    });
    expect(banded).toMatchObject({ maxCostUsd: '0.0525005', modifiers: { promptBandAboveTokens: 100_000 } });
  });

  it('refuses an unknown geo or speed, fast mode with batch, and a day before the model launched', async () => {
    for (const geo of ['US', 'mars', '']) {
      expect(
        await callError(client, 'estimate_cost', { model: 'claude-opus-5-5', inputTokens: 1, maxTokens: 1, geo }),
      ).toMatch(/geo[\s\S]*"global"[\s\S]*"us"/);
    }
    expect(
      await callError(client, 'estimate_cost', {
        model: 'claude-opus-5-5',
        inputTokens: 1,
        maxTokens: 1,
        speed: 'turbo',
      }),
    ).toMatch(/speed[\s\S]*"standard"[\s\S]*"fast"/);
    expect(
      await callError(client, 'estimate_cost', {
        model: 'claude-opus-5-5',
        inputTokens: 1,
        maxTokens: 1,
        speed: 'fast',
        batch: true,
      }),
    ).toMatch(/fast mode cannot be combined with the Batch API/);
    expect(
      await callError(client, 'estimate_cost', {
        model: 'claude-sonnet-5-5',
        inputTokens: 1,
        maxTokens: 1,
        speed: 'fast',
      }),
    ).toMatch(/no fast mode/);
    expect(
      await callError(client, 'estimate_cost', {
        model: 'claude-haiku-5-5',
        inputTokens: 1,
        maxTokens: 1,
        at: '2026-10-06',
      }),
    ).toMatch(/from 2026-10-07/);
    expect(
      await callError(client, 'estimate_cost', { model: 'claude-haiku-5-5', inputTokens: 1, maxTokens: 1, at: 'soon' }),
    ).toMatch(/YYYY-MM-DD/);
  });

  it('follows the core date and fast-mode rules: real calendar days, a warning past the card, no fast on Bedrock', async () => {
    const base = { model: 'claude-sonnet-5-5', inputTokens: 1000, maxTokens: 100 };
    expect(await callError(client, 'estimate_cost', { ...base, at: '2026-11-31' })).toMatch(
      /at is "2026-11-31", not a calendar date/,
    );
    expect(await callError(client, 'rate_card', { model: 'claude-sonnet-5-5', at: '2026-02-30' })).toMatch(
      /not a calendar date/,
    );
    const far = await callJson(client, 'estimate_cost', { ...base, at: '2999-01-01' });
    expect(far.maxCostUsd).toBe('0.003');
    expect(far.warnings).toEqual([
      expect.stringMatching(/^2999-01-01 is after 2026-11-30, the last day this rate card/),
    ]);
    expect((await callJson(client, 'estimate_cost', { ...base, at: '2026-11-23' })).warnings).toBeUndefined();
    expect(
      (await callJson(client, 'rate_card', { model: 'claude-sonnet-5-5', at: '2999-01-01' })).warnings,
    ).toHaveLength(1);
    expect(
      await callError(client, 'estimate_cost', {
        model: 'us.anthropic.claude-opus-5-5-v1:0',
        inputTokens: 1,
        maxTokens: 1,
        speed: 'fast',
      }),
    ).toMatch(/Bedrock model name, and fast mode exists only on the Claude API/);
  });

  it("lists a model's row in force on a day, with bands, fast rates, source and evidence", async () => {
    const before = await callJson(client, 'rate_card', { model: 'claude-sonnet-5-5', at: '2026-10-06' });
    expect(before.models).toEqual([
      expect.objectContaining({
        id: 'claude-sonnet-5-5@2026-09-28',
        cacheReadPerMTokUsd: '0.2',
        usInferenceMultiplier: '1.1',
        evidence: 'A',
      }),
    ]);
    const after = await callJson(client, 'rate_card', { model: 'claude-sonnet-5-5', at: '2026-10-07' });
    expect(after.models[0]).toMatchObject({ id: 'claude-sonnet-5-5@2026-10-07', cacheReadPerMTokUsd: '0.1' });
    const haiku = await callJson(client, 'rate_card', { model: 'claude-haiku-5-5', at: '2026-11-23' });
    expect(haiku.models[0]!.bands).toEqual([
      expect.objectContaining({
        abovePromptTokens: 100_000,
        inputPerMTokUsd: '0.5',
        cacheWrite5mPerMTokUsd: '0.625',
        outputPerMTokUsd: '2.5',
      }),
    ]);
    const opus = await callJson(client, 'rate_card', { model: 'claude-opus-5-5', at: '2026-11-23' });
    expect(opus.models[0]!.fast).toMatchObject({
      inputPerMTokUsd: '8',
      cacheWrite5mPerMTokUsd: '10',
      cacheWrite1hPerMTokUsd: '16',
      cacheReadPerMTokUsd: '0.4',
      outputPerMTokUsd: '40',
    });
    const legacy = await callJson(client, 'rate_card', { model: 'claude-3-haiku', at: '2026-11-23' });
    expect(legacy.models[0]).toMatchObject({ cacheWrite5mPerMTokUsd: '0.3', cacheReadPerMTokUsd: '0.03' });
    expect(legacy.models[0]!.usInferenceMultiplier).toBeUndefined();
  });
});
