import { describe, expect, it } from 'vitest';
import { createRateCard, defaultRateCard, describePriceRow, usd, type CostBreakdown } from '@drawdown/core';

const card = defaultRateCard;
const lines = (b: CostBreakdown) => Object.fromEntries(b.lines.map((l) => [l.category, l.nanos]));

// Every expected figure below is worked out by hand from the published per-million-token prices.
describe('rate card', () => {
  it('prices plain input and output tokens', () => {
    const b = card.price('claude-haiku-4-5', { input_tokens: 1000, output_tokens: 500 });
    expect(lines(b)).toEqual({ input: usd('0.001'), output: usd('0.0025') }); // 1000×$1/M, 500×$5/M
    expect(b.totalUsd).toBe('0.0035');
    expect(card.price('claude-sonnet-4-6', { input_tokens: 4500, output_tokens: 4000 }).totalUsd).toBe('0.0735'); // $0.0135 + $0.06
  });

  it('prices 5-minute cache writes at 1.25× and 1-hour writes at 2× input', () => {
    expect(
      card.price('claude-sonnet-4-5', { output_tokens: 0, input_tokens: 0, cache_creation_input_tokens: 10_000 })
        .totalUsd,
    ).toBe('0.0375'); // 10k×$3×1.25/M
    const split = card.price('claude-opus-4-7', {
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 1000,
      cache_creation: { ephemeral_5m_input_tokens: 400, ephemeral_1h_input_tokens: 600 },
    });
    // 400×$6.25/M + 600×$10/M — the total field is not counted again on top of its breakdown.
    expect(lines(split)).toEqual({ cache_write_5m: usd('0.0025'), cache_write_1h: usd('0.006') });
  });

  it('prices cache reads at 0.1× input (Haiku included) and never subtracts cache tokens from input_tokens', () => {
    const b = card.price('claude-haiku-4-5', { input_tokens: 50, cache_read_input_tokens: 100_000, output_tokens: 0 });
    expect(lines(b)).toEqual({ input: usd('0.00005'), cache_read: usd('0.01') }); // 100k×$0.10/M
  });

  it('halves every token category under the Batch API and stacks with cache multipliers', () => {
    expect(
      card.price('claude-sonnet-4-6', { input_tokens: 1_000_000, output_tokens: 1_000_000 }, { batch: true }).totalUsd,
    ).toBe('9'); // $1.50 + $7.50
    expect(
      card.price('claude-opus-4-5', {
        input_tokens: 0,
        output_tokens: 0,
        cache_read_input_tokens: 1_000_000,
        service_tier: 'batch',
      }).totalUsd,
    ).toBe('0.25'); // $5×0.1×0.5
  });

  it('bills a whole Sonnet 4.5 request above 200k prompt tokens at the long-context rates', () => {
    const long = card.price('claude-sonnet-4-5', {
      input_tokens: 150_000,
      cache_read_input_tokens: 60_000,
      output_tokens: 10_000,
    });
    expect(long.longContext).toBe(true);
    expect(lines(long)).toEqual({ input: usd('0.9'), cache_read: usd('0.036'), output: usd('0.225') }); // $6, $0.60, $22.50 per M
    const atThreshold = card.price('claude-sonnet-4-5', { input_tokens: 200_000, output_tokens: 0 });
    expect(atThreshold.longContext).toBe(false);
    expect(atThreshold.totalUsd).toBe('0.6');
  });

  it('charges $10 per 1,000 web searches', () => {
    const b = card.price('claude-sonnet-4-5', {
      output_tokens: 0,
      input_tokens: 0,
      server_tool_use: { web_search_requests: 3, web_fetch_requests: 2 },
    });
    expect(lines(b)).toEqual({ web_search: usd('0.03') });
  });

  it('applies 1.1× for US inference on Opus 4.6 and later only', () => {
    expect(
      card.price('claude-opus-4-6', { input_tokens: 1000, output_tokens: 1000, inference_geo: 'us' }).totalUsd,
    ).toBe('0.033'); // ($0.005+$0.025)×1.1
    expect(card.price('claude-sonnet-4-5', { input_tokens: 1000, output_tokens: 1000 }, { geo: 'us' }).totalUsd).toBe(
      '0.018',
    );
    // All modifiers at once: 1h cache write (2×), batch (0.5×), US (1.1×) on $5 input.
    expect(
      card.price(
        'claude-opus-4-7',
        {
          input_tokens: 0,
          output_tokens: 0,
          cache_creation: { ephemeral_1h_input_tokens: 1_000_000 },
          cache_creation_input_tokens: 1_000_000,
        },
        { batch: true, geo: 'us' },
      ).totalUsd,
    ).toBe('5.5');
  });

  it('lists each alias of a row once, and never the model itself', () => {
    for (const at of [Date.parse('2025-06-01'), Date.now()]) {
      for (const row of defaultRateCard.models(at)) {
        const { aliases } = describePriceRow(row, defaultRateCard.modifiers);
        expect(new Set(aliases).size, row.id).toBe(aliases.length);
        expect(aliases, row.id).not.toContain(row.model);
      }
    }
    // "-20241022" and "-latest" name the model itself; only the other spelling is an alias.
    expect(defaultRateCard.resolve('claude-3-5-haiku-latest', Date.parse('2025-06-01')).aliases).toEqual([
      'claude-haiku-3-5',
    ]);
  });

  it('knows aliases, dated snapshots and cloud spellings of a model', () => {
    for (const name of [
      'claude-sonnet-4-5-20250929',
      'anthropic.claude-sonnet-4-5-20250929-v1:0',
      'claude-sonnet-4-5@20250929',
      'Claude-Sonnet-4-5',
      'claude-sonnet-4-5[1m]',
    ]) {
      expect(card.resolve(name).model).toBe('claude-sonnet-4-5');
    }
    expect(card.resolve('claude-3-5-haiku-latest').model).toBe('claude-3-5-haiku');
  });

  it('refuses an unknown model with the closest known names instead of pricing it at $0', () => {
    expect(() => card.price('claude-sonet-4-5', { output_tokens: 0, input_tokens: 1 })).toThrowError(
      expect.objectContaining({
        code: 'DRAWDOWN_UNKNOWN_MODEL',
        data: expect.objectContaining({ suggestions: expect.arrayContaining(['claude-sonnet-4-5']) }),
      }),
    );
    const lenient = createRateCard({ unknownModel: { priceAs: 'claude-opus-4-7' } });
    expect(lenient.price('claude-next', { input_tokens: 0, output_tokens: 1000 }).totalUsd).toBe('0.025');
  });

  it('lets overrides take over from their effective date', () => {
    const custom = createRateCard({
      overrides: [
        {
          model: 'claude-haiku-4-5',
          effectiveFrom: '2027-01-01',
          inputPerMTok: '0.5',
          cacheWrite5mPerMTok: '0.625',
          cacheWrite1hPerMTok: '1',
          cacheReadPerMTok: '0.05',
          outputPerMTok: '2.5',
        },
      ],
    });
    const usage = { output_tokens: 0, input_tokens: 1_000_000 };
    expect(custom.price('claude-haiku-4-5', usage, { at: Date.parse('2026-12-31T23:59:59Z') }).totalUsd).toBe('1');
    expect(custom.price('claude-haiku-4-5', usage, { at: Date.parse('2027-01-01T00:00:00Z') }).totalUsd).toBe('0.5');
    expect(() =>
      createRateCard({
        overrides: [
          {
            model: 'x',
            inputPerMTok: 'cheap',
            cacheWrite5mPerMTok: '1',
            cacheWrite1hPerMTok: '1',
            cacheReadPerMTok: '1',
            outputPerMTok: '1',
          },
        ],
      }),
    ).toThrow(/overrides\[0\]\.inputPerMTok/);
  });

  it('rejects malformed usage with the field named', () => {
    expect(() => card.price('claude-haiku-4-5', { output_tokens: 0, input_tokens: -1 })).toThrow(/usage\.input_tokens/);
    expect(() => card.price('claude-haiku-4-5', { input_tokens: 0, output_tokens: 1.5 })).toThrow(
      /usage\.output_tokens/,
    );
    expect(() => card.price('claude-haiku-4-5', 'lots')).toThrowError(
      expect.objectContaining({ code: 'DRAWDOWN_INVALID_USAGE' }),
    );
  });

  it('estimates an upper bound for a reservation and says how', () => {
    const given = card.estimate({ model: 'claude-sonnet-4-5', inputTokens: 10_000, maxTokens: 1000 });
    expect(given.maxCostUsd).toBe('0.045'); // 10k×$3/M + 1k×$15/M
    const fromText = card.estimate({ model: 'claude-opus-4-7', text: 'x'.repeat(3000), maxTokens: 0 });
    expect(fromText.inputTokens).toBe(1350); // 3000 chars ÷ 3 × 1.35 tokenizer factor
    expect(fromText.basis).toMatch(/tokenizer factor 1\.35/);
    const cached = card.estimate({
      model: 'claude-sonnet-4-5',
      inputTokens: 10_000,
      cacheReadTokens: 8000,
      cacheWrite: '5m',
      maxTokens: 0,
    });
    expect(cached.maxCostUsd).toBe('0.0099'); // 2000×$3.75/M + 8000×$0.30/M
  });
});
