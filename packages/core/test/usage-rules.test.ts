import { createRateCard, defaultRateCard, parsePricingDate, USAGE_FIELDS } from '@drawdown/core';
import { describe, expect, it } from 'vitest';

const at = Date.parse('2026-11-20T12:00:00Z');
const price = (usage: unknown, model = 'claude-sonnet-5-5', options: object = {}) =>
  defaultRateCard.price(model, usage, { at, ...options });

describe('a usage must be one the API could have sent', () => {
  it('refuses a usage without whole-number input_tokens and output_tokens', () => {
    for (const usage of [{}, { input_tokens: 10 }, { output_tokens: 10 }, { input_tokens: 1.5, output_tokens: 1 }])
      expect(() => price(usage)).toThrowError(
        expect.objectContaining({
          code: 'DRAWDOWN_INVALID_USAGE',
          message: expect.stringMatching(
            /usage\.(input|output)_tokens (is missing|must be a non-negative whole number)/,
          ),
        }),
      );
    expect(() => price({ input_tokens: null, output_tokens: 1 })).toThrow(/input_tokens is missing/);
  });

  it('refuses a field that is not a usage field, naming the accepted ones', () => {
    expect(() => price({ input: 5000, output: 100 })).toThrowError(
      expect.objectContaining({
        code: 'DRAWDOWN_INVALID_USAGE',
        message: expect.stringContaining(
          'usage.input is not a usage field; accepted fields are input_tokens, output_tokens',
        ),
        data: expect.objectContaining({ field: 'input', accepted: [...USAGE_FIELDS] }),
      }),
    );
    expect(() =>
      price({ input_tokens: 1, output_tokens: 1, cache_creation: { ephemeral_5m: 3 }, cache_creation_input_tokens: 3 }),
    ).toThrow(/usage\.cache_creation\.ephemeral_5m is not a usage field; accepted fields of usage\.cache_creation are/);
    expect(() => price({ input_tokens: 1, output_tokens: 1, server_tool_use: { web_searches: 1 } })).toThrow(
      /server_tool_use\.web_searches is not a usage field/,
    );
  });

  it('prices every field the Messages API sends, output_tokens_details and web fetches included', () => {
    const b = price({
      input_tokens: 1000,
      output_tokens: 100,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      server_tool_use: { web_search_requests: 0, web_fetch_requests: 2 },
      service_tier: 'standard',
      inference_geo: 'global',
      speed: 'standard',
      output_tokens_details: { thinking_tokens: 40 },
    });
    expect(b.totalUsd).toBe('0.003'); // 1,000 × $2 + 100 × $10 per MTok; fetches cost only their tokens
  });

  it('refuses a cache_creation breakdown that does not add up to cache_creation_input_tokens', () => {
    const usage = {
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 100,
      cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 0 },
    };
    expect(() => price(usage)).toThrowError(
      expect.objectContaining({
        code: 'DRAWDOWN_INVALID_USAGE',
        message:
          'usage.cache_creation adds up to 1000 tokens (5m 1000 + 1h 0) but cache_creation_input_tokens is 100; they must agree',
        data: { field: 'cache_creation' },
      }),
    );
    // Without the total, the breakdown is the total.
    const { cache_creation_input_tokens: _, ...breakdownOnly } = usage;
    expect(price(breakdownOnly).totalUsd).toBe('0.0025'); // 1,000 × $2.50 per MTok
  });

  it('prices fast mode only where the card has it: never on a Bedrock name', () => {
    const fast = { input_tokens: 1000, output_tokens: 1000, speed: 'fast' };
    expect(price(fast, 'claude-opus-5-5').totalUsd).toBe('0.048'); // $8 + $40 per MTok
    for (const bedrock of ['us.anthropic.claude-opus-5-5-v1:0', 'anthropic.claude-opus-5-5'])
      expect(() => price(fast, bedrock)).toThrowError(
        expect.objectContaining({
          code: 'DRAWDOWN_INVALID_USAGE',
          message: expect.stringContaining('is a Bedrock model name, and fast mode exists only on the Claude API'),
          data: expect.objectContaining({ field: 'speed', accepted: ['standard'] }),
        }),
      );
    expect(() =>
      price({ input_tokens: 1, output_tokens: 1 }, 'us.anthropic.claude-opus-5-5-v1:0', { speed: 'fast' }),
    ).toThrow(/Bedrock/);
    expect(price({ input_tokens: 1000, output_tokens: 1000 }, 'us.anthropic.claude-opus-5-5-v1:0').totalUsd).toBe(
      '0.024',
    );
    expect(() =>
      defaultRateCard.estimate({
        model: 'global.anthropic.claude-opus-5-5',
        inputTokens: 1,
        maxTokens: 1,
        speed: 'fast',
        at,
      }),
    ).toThrow(/Bedrock/);
  });
});

describe('the date whose prices apply', () => {
  it('refuses a request time that is not a number, with a DrawdownError naming the field', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 9e15])
      expect(() =>
        defaultRateCard.price('claude-sonnet-5-5', { input_tokens: 1, output_tokens: 1 }, { at: bad }),
      ).toThrowError(
        expect.objectContaining({ code: 'DRAWDOWN_INVALID_DATE', data: expect.objectContaining({ field: 'at' }) }),
      );
    expect(() => defaultRateCard.resolve('claude-sonnet-5-5', Number.NaN)).toThrow(/at is NaN; give the request time/);
    expect(() => defaultRateCard.models(Number.NaN)).toThrow(/at is NaN/);
  });

  it('reads real calendar days and zoned ISO times, and refuses 2026-11-31 instead of rolling it over', () => {
    expect(parsePricingDate('2026-10-07')).toBe(Date.parse('2026-10-07T00:00:00Z'));
    expect(parsePricingDate('2026-10-07T12:00:00Z')).toBe(Date.parse('2026-10-07T12:00:00Z'));
    expect(parsePricingDate('2026-10-07T12:00+02:00')).toBe(Date.parse('2026-10-07T10:00:00Z'));
    for (const bad of [
      '2026-11-31',
      '2026-02-29',
      '2026-13-01',
      '2026-11-31T10:00:00Z',
      'yesterday',
      '2026-10-07T12:00',
    ])
      expect(() => parsePricingDate(bad, '--at')).toThrowError(
        expect.objectContaining({
          code: 'DRAWDOWN_INVALID_DATE',
          message: expect.stringContaining(`--at is "${bad}", not a calendar date; write the day as YYYY-MM-DD`),
          data: { field: '--at', value: bad },
        }),
      );
  });

  it('warns about a date after the last day the card knows prices for', () => {
    expect(defaultRateCard.knownThrough).toBe('2026-11-30');
    expect(defaultRateCard.dateWarning(Date.parse('2026-11-30T23:59:59Z'))).toBeUndefined();
    expect(defaultRateCard.dateWarning(parsePricingDate('2999-01-01'))).toBe(
      '2999-01-01 is after 2026-11-30, the last day this rate card knows prices for; priced at the rows in force then, which may have changed since (add a rateCard override row if they have)',
    );
    // A newer override row moves the horizon.
    const card = createRateCard({
      overrides: [
        {
          model: 'claude-sonnet-5-5',
          effectiveFrom: '2027-01-01',
          inputPerMTok: '2',
          cacheWrite5mPerMTok: '2.5',
          cacheWrite1hPerMTok: '4',
          cacheReadPerMTok: '0.1',
          outputPerMTok: '10',
        },
      ],
    });
    expect(card.knownThrough).toBe('2027-01-01');
    expect(card.dateWarning(parsePricingDate('2026-12-15'))).toBeUndefined();
  });
});
