import { describe, expect, it } from 'vitest';
import {
  createRateCard,
  defaultRateCard as card,
  BUILT_IN_PRICE_ROWS,
  checkRateCardConfig,
  usd,
  type CostBreakdown,
} from '@drawdown/core';

/**
 * RATES.md §1, typed in by hand from the table (USD per MTok: input, 5m write, 1h write, cache hit,
 * output) and the day each row is in force. Pricing one million tokens of a single category costs
 * exactly that category's published price, so each expectation below is the table cell itself.
 */
const TABLE: Array<[model: string, day: string, input: string, w5m: string, w1h: string, hit: string, output: string]> =
  [
    ['claude-fable-5-2', '2026-11-09', '8', '10', '16', '0.2', '40'],
    ['claude-fable-5-1', '2026-09-01', '10', '12.5', '20', '0.25', '50'],
    ['claude-mythos-5-1', '2026-09-01', '10', '12.5', '20', '0.25', '50'],
    ['claude-fable-5', '2026-06-09', '10', '12.5', '20', '1', '50'],
    ['claude-mythos-5', '2026-06-09', '10', '12.5', '20', '1', '50'],
    ['claude-opus-5-5', '2026-09-23', '4', '5', '8', '0.2', '20'],
    ['claude-opus-5', '2026-07-24', '5', '6.25', '10', '0.5', '25'],
    ['claude-opus-4-8', '2026-11-23', '5', '6.25', '10', '0.5', '25'],
    ['claude-opus-4-7', '2026-04-16', '5', '6.25', '10', '0.5', '25'],
    ['claude-opus-4-6', '2026-02-05', '5', '6.25', '10', '0.5', '25'],
    ['claude-opus-4-5', '2025-11-24', '5', '6.25', '10', '0.5', '25'],
    ['claude-opus-4-1', '2025-08-05', '15', '18.75', '30', '1.5', '75'],
    ['claude-opus-4-0', '2025-05-22', '15', '18.75', '30', '1.5', '75'],
    ['claude-sonnet-5-5', '2026-10-07', '2', '2.5', '4', '0.1', '10'],
    ['claude-sonnet-5-5', '2026-09-28', '2', '2.5', '4', '0.2', '10'],
    ['claude-sonnet-5', '2026-06-30', '2', '2.5', '4', '0.2', '10'],
    ['claude-sonnet-4-6', '2026-02-17', '3', '3.75', '6', '0.3', '15'],
    ['claude-sonnet-4-5', '2025-09-29', '3', '3.75', '6', '0.3', '15'],
    ['claude-sonnet-4-0', '2025-05-22', '3', '3.75', '6', '0.3', '15'],
    ['claude-haiku-5-5', '2026-10-07', '0.1', '0.125', '0.2', '0.01', '0.5'],
    ['claude-haiku-4-5', '2025-10-15', '1', '1.25', '2', '0.1', '5'],
    ['claude-3-5-haiku', '2024-11-04', '0.8', '1', '1.6', '0.08', '4'],
    // Not in §1 but published: Claude 3 Haiku's cache prices are $0.30 and $0.03, not 1.25×/0.1× of $0.25.
    ['claude-3-haiku', '2024-03-13', '0.25', '0.3', '0.5', '0.03', '1.25'],
  ];
const M = 1_000_000;
const day = (d: string, time = '12:00:00') => Date.parse(`${d}T${time}Z`);
const w5 = (n: number) => ({
  input_tokens: 0,
  output_tokens: 0,
  cache_creation_input_tokens: n,
  cache_creation: { ephemeral_5m_input_tokens: n, ephemeral_1h_input_tokens: 0 },
});
const w1 = (n: number) => ({
  input_tokens: 0,
  output_tokens: 0,
  cache_creation_input_tokens: n,
  cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: n },
});
const total = (b: CostBreakdown) => b.totalUsd;

describe('rate card: every row of the published table', () => {
  // 100,000 tokens of one category (a prompt inside every low band) cost a tenth of the cell.
  it.each(TABLE)('%s from %s prices each category explicitly', (model, from, input, write5m, write1h, hit, output) => {
    const at = day(from);
    const tenth = (cell: string) => usd(cell) / 10;
    expect(card.price(model, { output_tokens: 0, input_tokens: 100_000 }, { at }).total).toBe(tenth(input));
    expect(card.price(model, w5(100_000), { at }).total).toBe(tenth(write5m));
    expect(card.price(model, w1(100_000), { at }).total).toBe(tenth(write1h));
    expect(
      card.price(model, { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 100_000 }, { at }).total,
    ).toBe(tenth(hit));
    expect(total(card.price(model, { input_tokens: 0, output_tokens: M }, { at }))).toBe(output);
  });

  it('has a row for every model of the table and records which row priced a charge', () => {
    const models = new Set(BUILT_IN_PRICE_ROWS.map((r) => r.model));
    for (const [model] of TABLE) expect(models.has(model)).toBe(true);
    const b = card.price('claude-sonnet-5-5', { output_tokens: 0, input_tokens: 1 }, { at: day('2026-11-01') });
    expect(b.priceRow).toBe('claude-sonnet-5-5@2026-10-07');
    expect(b.pricedBy).toBe('rate-card');
    expect(b.evidence).toBe('Q');
    for (const row of BUILT_IN_PRICE_ROWS) expect(row.source).toMatch(/^https:\/\//);
  });

  it('switches Sonnet 5.5 cache hits from $0.20 to $0.10 between 2026-10-06 and 2026-10-07', () => {
    const read = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: M };
    expect(total(card.price('claude-sonnet-5-5', read, { at: day('2026-10-06', '23:59:59.999') }))).toBe('0.2');
    expect(total(card.price('claude-sonnet-5-5', read, { at: day('2026-10-07', '00:00:00') }))).toBe('0.1');
    expect(card.price('claude-sonnet-5-5', read, { at: day('2026-10-06') }).priceRow).toBe(
      'claude-sonnet-5-5@2026-09-28',
    );
    // Nothing else changed: 1M input + 1M output = $2 + $10 on both days.
    expect(
      total(card.price('claude-sonnet-5-5', { input_tokens: M, output_tokens: M }, { at: day('2026-10-06') })),
    ).toBe('12');
    expect(
      total(card.price('claude-sonnet-5-5', { input_tokens: M, output_tokens: M }, { at: day('2026-10-07') })),
    ).toBe('12');
  });

  it('prices Sonnet 5 at $2/$10 on every date: the planned rise to $3/$15 never happened', () => {
    for (const d of ['2026-07-01', '2026-09-01', '2026-11-20'])
      expect(total(card.price('claude-sonnet-5', { input_tokens: M, output_tokens: M }, { at: day(d) }))).toBe('12');
  });

  it('refuses usage dated before a model launched', () => {
    expect(() =>
      card.price('claude-opus-5-5', { output_tokens: 0, input_tokens: 1 }, { at: day('2026-09-22') }),
    ).toThrowError(
      expect.objectContaining({ code: 'DRAWDOWN_UNKNOWN_MODEL', message: expect.stringMatching(/from 2026-09-23/) }),
    );
    expect(
      total(
        card.price('claude-opus-5-5', { output_tokens: 0, input_tokens: M }, { at: day('2026-09-23', '00:00:00') }),
      ),
    ).toBe('4');
    expect(() =>
      card.estimate({ model: 'claude-haiku-5-5', inputTokens: 1, maxTokens: 1, at: day('2026-10-06') }),
    ).toThrow(/from 2026-10-07/);
  });
});

describe('rate card: Haiku 5.5 prompt bands', () => {
  const at = day('2026-11-01');
  // prompt = 60,000 input + 10,000 5m writes + 10,000 1h writes + 20,000 reads = 100,000: low band.
  const usage = (input: number) => ({
    input_tokens: input,
    cache_creation_input_tokens: 20_000,
    cache_creation: { ephemeral_5m_input_tokens: 10_000, ephemeral_1h_input_tokens: 10_000 },
    cache_read_input_tokens: 20_000,
    output_tokens: 1_000,
  });

  it('prices a prompt of exactly 100,000 tokens at the low band', () => {
    const b = card.price('claude-haiku-5-5', usage(60_000), { at });
    // 60,000×0.10 + 10,000×0.125 + 10,000×0.20 + 20,000×0.01 + 1,000×0.50 = 6,000+1,250+2,000+200+500 = 9,950 µ$ → $0.00995
    expect(b.totalUsd).toBe('0.00995');
    expect(b.promptTokens).toBe(100_000);
    expect(b.band).toBeUndefined();
  });

  it('prices every token of a 100,001-token prompt, output included, at the high band', () => {
    const b = card.price('claude-haiku-5-5', usage(60_001), { at });
    // 60,001×0.50 + 10,000×0.625 + 10,000×1 + 20,000×0.05 + 1,000×2.50 = 30,000.5+6,250+10,000+1,000+2,500 = 49,750.5 µ$
    expect(b.totalUsd).toBe('0.0497505');
    expect(b.band).toEqual({ abovePromptTokens: 100_000 });
    expect(b.longContext).toBe(true);
  });

  it('counts cache reads and writes in the prompt but not output', () => {
    expect(
      card.price('claude-haiku-5-5', { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 100_001 }, { at })
        .band,
    ).toBeDefined();
    expect(card.price('claude-haiku-5-5', w1(100_001), { at }).band).toBeDefined();
    expect(card.price('claude-haiku-5-5', { input_tokens: 10, output_tokens: 500_000 }, { at }).band).toBeUndefined();
  });

  it('prices the high band per category (1M tokens each, 100,001+ prompt)', () => {
    expect(total(card.price('claude-haiku-5-5', { output_tokens: 0, input_tokens: M }, { at }))).toBe('0.5');
    expect(total(card.price('claude-haiku-5-5', w5(M), { at }))).toBe('0.625');
    expect(total(card.price('claude-haiku-5-5', w1(M), { at }))).toBe('1');
    expect(
      total(card.price('claude-haiku-5-5', { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: M }, { at })),
    ).toBe('0.05');
    // 200,000 input at $0.50 = $0.10 and 1M output at the high $2.50.
    expect(total(card.price('claude-haiku-5-5', { input_tokens: 200_000, output_tokens: M }, { at }))).toBe('2.6');
  });

  it('halves both bands under batch: $0.05/$0.25 low, $0.25/$1.25 high', () => {
    expect(
      total(card.price('claude-haiku-5-5', { input_tokens: 100_000, output_tokens: M, service_tier: 'batch' }, { at })),
    ).toBe('0.255'); // 0.1M×0.05 + 1M×0.25
    expect(
      total(card.price('claude-haiku-5-5', { input_tokens: 100_001, output_tokens: M, service_tier: 'batch' }, { at })),
    ).toBe('1.27500025'); // 100,001×0.25/M = 0.02500025, + 1.25
  });
});

describe('rate card: modifiers and their combinations', () => {
  const at = day('2026-11-23');
  const opts = (extra: object) => ({ at, ...extra });

  it('halves every token category under the Batch API', () => {
    // Opus 5.5 batch: 4/5/8/0.20/20 × 0.5 = 2/2.5/4/0.1/10
    expect(
      total(card.price('claude-opus-5-5', { output_tokens: 0, input_tokens: M, service_tier: 'batch' }, opts({}))),
    ).toBe('2');
    expect(total(card.price('claude-opus-5-5', { ...w5(M), service_tier: 'batch' }, opts({})))).toBe('2.5');
    expect(total(card.price('claude-opus-5-5', { ...w1(M), service_tier: 'batch' }, opts({})))).toBe('4');
    expect(
      total(
        card.price(
          'claude-opus-5-5',
          { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: M, service_tier: 'batch' },
          opts({}),
        ),
      ),
    ).toBe('0.1');
    expect(
      total(card.price('claude-opus-5-5', { input_tokens: 0, output_tokens: M, service_tier: 'batch' }, opts({}))),
    ).toBe('10');
    expect(total(card.price('claude-fable-5-1', { input_tokens: M, output_tokens: M }, opts({ batch: true })))).toBe(
      '30',
    ); // 5 + 25
  });

  it('applies US inference 1.1× to every category on 4.6-and-later models, Sonnet 4.6 and Haiku 5.5 included', () => {
    const both = { input_tokens: M, output_tokens: M, inference_geo: 'us' };
    expect(total(card.price('claude-sonnet-4-6', both, opts({})))).toBe('19.8'); // (3+15)×1.1 — was billed at 1.0× before
    expect(total(card.price('claude-opus-5-5', both, opts({})))).toBe('26.4'); // (4+20)×1.1
    expect(total(card.price('claude-haiku-5-5', { ...both, input_tokens: 100_000 }, opts({})))).toBe('0.561'); // (0.1M×0.10 + 1M×0.50)×1.1 = 0.51×1.1
    expect(total(card.price('claude-opus-4-8', { ...w5(M), inference_geo: 'us' }, opts({})))).toBe('6.875'); // 6.25×1.1
    expect(
      total(
        card.price(
          'claude-fable-5-1',
          { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: M, inference_geo: 'us' },
          opts({}),
        ),
      ),
    ).toBe('0.275'); // 0.25×1.1
    expect(card.price('claude-sonnet-4-6', both, opts({})).usInference).toBe(true);
  });

  it('keeps models before 4.6 at their prices with inference_geo "us" (the API refuses the parameter there)', () => {
    const both = { input_tokens: 100_000, output_tokens: M, inference_geo: 'us' };
    expect(total(card.price('claude-sonnet-4-5', both, opts({})))).toBe('15.3'); // 0.1M×3 + 1M×15
    expect(total(card.price('claude-opus-4-5', both, opts({})))).toBe('25.5'); // 0.1M×5 + 1M×25
    expect(total(card.price('claude-haiku-4-5', both, opts({})))).toBe('5.1'); // 0.1M×1 + 1M×5
    expect(card.price('claude-sonnet-4-5', both, opts({})).usInference).toBe(false);
  });

  it('stacks batch and US inference: rate × cache multiplier × 0.5 × 1.1', () => {
    expect(
      total(card.price('claude-opus-5-5', { ...w1(M), service_tier: 'batch', inference_geo: 'us' }, opts({}))),
    ).toBe('4.4'); // 8 × 0.5 × 1.1
    expect(
      total(
        card.price(
          'claude-sonnet-5-5',
          { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: M, service_tier: 'batch', inference_geo: 'us' },
          opts({}),
        ),
      ),
    ).toBe('0.055'); // 0.10×0.5×1.1
    // Haiku 5.5 high band, batch and US: 200,000 input × 0.50 × 0.55 + 1M output × 2.50 × 0.55 = 0.055 + 1.375
    expect(
      total(
        card.price(
          'claude-haiku-5-5',
          { input_tokens: 200_000, output_tokens: M, service_tier: 'batch', inference_geo: 'us' },
          opts({}),
        ),
      ),
    ).toBe('1.43');
  });

  it('prices fast mode at its own base rates with the cache multipliers on the fast input rate', () => {
    const fast = (usage: object, model = 'claude-opus-5-5') =>
      total(card.price(model, { ...usage, speed: 'fast' }, opts({})));
    expect(fast({ input_tokens: M, output_tokens: M })).toBe('48'); // 8 + 40
    expect(fast(w5(M))).toBe('10'); // 8 × 1.25
    expect(fast(w1(M))).toBe('16'); // 8 × 2
    expect(fast({ input_tokens: 0, output_tokens: 0, cache_read_input_tokens: M })).toBe('0.4'); // 8 × 0.05
    expect(fast({ input_tokens: M, output_tokens: M }, 'claude-opus-5')).toBe('60'); // 10 + 50
    expect(fast({ input_tokens: M, output_tokens: M }, 'claude-opus-4-8')).toBe('60');
    expect(fast({ input_tokens: 0, output_tokens: 0, cache_read_input_tokens: M }, 'claude-opus-4-8')).toBe('1'); // 10 × 0.1
    expect(fast({ input_tokens: M, output_tokens: M }, 'claude-opus-4-6')).toBe('180'); // older docs: 30 + 150
    // Fast and US inference stack: (8 + 40) × 1.1
    expect(fast({ input_tokens: M, output_tokens: M, inference_geo: 'us' })).toBe('52.8');
    expect(card.price('claude-opus-5-5', { output_tokens: 0, input_tokens: 1, speed: 'fast' }, opts({})).fast).toBe(
      true,
    );
    // The option fills in a usage that does not say its speed.
    expect(total(card.price('claude-opus-5-5', { input_tokens: 0, output_tokens: M }, opts({ speed: 'fast' })))).toBe(
      '40',
    );
  });

  it('refuses fast mode with batch, and fast mode on a model without it, saying what is accepted', () => {
    expect(() =>
      card.price(
        'claude-opus-5-5',
        { output_tokens: 0, input_tokens: 1, speed: 'fast', service_tier: 'batch' },
        opts({}),
      ),
    ).toThrowError(
      expect.objectContaining({
        code: 'DRAWDOWN_INVALID_USAGE',
        message: expect.stringMatching(/fast mode cannot be combined with the Batch API/),
      }),
    );
    expect(() =>
      card.price('claude-opus-5-5', { output_tokens: 0, input_tokens: 1 }, opts({ speed: 'fast', batch: true })),
    ).toThrow(/Batch API/);
    expect(() =>
      card.price('claude-sonnet-5-5', { output_tokens: 0, input_tokens: 1, speed: 'fast' }, opts({})),
    ).toThrowError(
      expect.objectContaining({
        code: 'DRAWDOWN_INVALID_USAGE',
        message: expect.stringMatching(/claude-sonnet-5-5 has no fast mode; fast mode is priced for .*claude-opus-5-5/),
      }),
    );
    expect(() =>
      card.price('claude-haiku-5-5', { output_tokens: 0, input_tokens: 1 }, opts({ speed: 'fast' })),
    ).toThrow(/no fast mode/);
  });

  it('charges $0.01 per web search, not multiplied by batch or US inference', () => {
    // 3 searches = $0.03, plus 1M input on Opus 4.6 at 5 × 0.5 × 1.1 = $2.75
    const b = card.price(
      'claude-opus-4-6',
      {
        output_tokens: 0,
        input_tokens: M,
        server_tool_use: { web_search_requests: 3 },
        service_tier: 'batch',
        inference_geo: 'us',
      },
      opts({}),
    );
    expect(b.totalUsd).toBe('2.78');
    expect(b.lines.find((l) => l.category === 'web_search')).toMatchObject({
      quantity: 3,
      unitPriceUsd: '0.01',
      nanos: usd('0.03'),
    });
  });

  it('lets the usage describe itself: its service_tier, speed and inference_geo win over options', () => {
    const usage = {
      input_tokens: 0,
      output_tokens: M,
      service_tier: 'standard',
      inference_geo: 'global',
      speed: 'standard',
    };
    expect(total(card.price('claude-opus-5-5', usage, opts({ batch: true, geo: 'us', speed: 'fast' })))).toBe('20');
    expect(
      total(card.price('claude-opus-5-5', { input_tokens: 0, output_tokens: M, service_tier: 'priority' }, opts({}))),
    ).toBe('20');
    expect(
      total(card.price('claude-opus-5-5', { input_tokens: 0, output_tokens: M }, opts({ batch: true, geo: 'us' }))),
    ).toBe('11'); // 20 × 0.5 × 1.1
  });

  it('refuses unknown service_tier, speed and inference_geo values, listing the accepted ones', () => {
    const cases: Array<[object, object, RegExp]> = [
      [
        { input_tokens: 0, output_tokens: 0, service_tier: 'flex' },
        {},
        /usage\.service_tier is "flex"; accepted values are "standard", "priority", "batch"/,
      ],
      [
        { input_tokens: 0, output_tokens: 0, speed: 'turbo' },
        {},
        /usage\.speed is "turbo"; accepted values are "standard", "fast"/,
      ],
      [
        { input_tokens: 0, output_tokens: 0, inference_geo: 'mars' },
        {},
        /usage\.inference_geo is "mars"; accepted values are "global", "us"/,
      ],
      [{ input_tokens: 0, output_tokens: 0, inference_geo: 'US' }, {}, /usage\.inference_geo is "US"/],
      [{}, { geo: '' }, /geo is ""/],
      [{}, { geo: 'mars' }, /geo is "mars"; accepted values are "global", "us"/],
      [{}, { geo: 'US' }, /geo is "US"/],
      [{}, { speed: 'slow' }, /speed is "slow"; accepted values are "standard", "fast"/],
    ];
    for (const [usage, options, message] of cases) {
      expect(() =>
        card.price('claude-opus-5-5', { input_tokens: 1, output_tokens: 0, ...usage }, opts(options)),
      ).toThrowError(
        expect.objectContaining({ code: 'DRAWDOWN_INVALID_USAGE', message: expect.stringMatching(message) }),
      );
    }
    expect(() => card.estimate({ model: 'claude-opus-5-5', inputTokens: 1, maxTokens: 1, geo: 'mars', at })).toThrow(
      /accepted values are "global", "us"/,
    );
  });

  it('reads an empty inference_geo, as Claude Code logs it, as not reported', () => {
    // Opus 5.5 input $4/MTok: global 4, US 4 × 1.1 = 4.4; an empty value falls back to the option.
    expect(
      total(card.price('claude-opus-5-5', { output_tokens: 0, input_tokens: M, inference_geo: '' }, opts({}))),
    ).toBe('4');
    expect(
      total(
        card.price('claude-opus-5-5', { output_tokens: 0, input_tokens: M, inference_geo: '' }, opts({ geo: 'us' })),
      ),
    ).toBe('4.4');
    expect(
      total(
        card.price('claude-opus-5-5', { output_tokens: 0, input_tokens: M, service_tier: '', speed: '' }, opts({})),
      ),
    ).toBe('4');
  });

  it('keeps the legacy Sonnet 4.5/4 long-context tier above 200,000 prompt tokens, and an override can drop it', () => {
    // 200,001 input × $6 + 1,000 output × $22.50 = 1.200006 + 0.0225
    expect(total(card.price('claude-sonnet-4-5', { input_tokens: 200_001, output_tokens: 1_000 }, opts({})))).toBe(
      '1.222506',
    );
    expect(total(card.price('claude-sonnet-4-0', { input_tokens: 200_000, output_tokens: 1_000 }, opts({})))).toBe(
      '0.615',
    ); // 0.6 + 0.015
    const noTier = createRateCard({
      overrides: [
        {
          model: 'claude-sonnet-4-5',
          effectiveFrom: '2025-09-29',
          inputPerMTok: '3',
          cacheWrite5mPerMTok: '3.75',
          cacheWrite1hPerMTok: '6',
          cacheReadPerMTok: '0.30',
          outputPerMTok: '15',
          bands: [],
        },
      ],
    });
    expect(total(noTier.price('claude-sonnet-4-5', { input_tokens: 200_001, output_tokens: 1_000 }, opts({})))).toBe(
      '0.615003',
    ); // 0.600003 + 0.015
    expect(noTier.price('claude-sonnet-4-5', { output_tokens: 0, input_tokens: 1 }, opts({})).priceRow).toBe(
      'claude-sonnet-4-5@2025-09-29',
    );
    expect(noTier.resolve('claude-sonnet-4-5', at).origin).toBe('override');
  });

  it('applies the 1M window at standard rates on 4.6-and-later models', () => {
    expect(total(card.price('claude-opus-5-5', { output_tokens: 0, input_tokens: 900_000 }, opts({})))).toBe('3.6'); // 0.9M × $4, no tier
  });
});

describe('rate card: model names', () => {
  const at = day('2026-11-23');
  it.each([
    ['claude-opus-5-5', 'claude-opus-5-5'],
    ['claude-opus-5-5[1m]', 'claude-opus-5-5'],
    ['claude-sonnet-5-5[1m]', 'claude-sonnet-5-5'],
    ['anthropic.claude-opus-5-5', 'claude-opus-5-5'],
    ['global.anthropic.claude-fable-5-1', 'claude-fable-5-1'],
    ['us.anthropic.claude-opus-5-5-v1:0', 'claude-opus-5-5'],
    ['eu.anthropic.claude-sonnet-5-5', 'claude-sonnet-5-5'],
    ['apac.anthropic.claude-haiku-5-5', 'claude-haiku-5-5'],
    ['jp.anthropic.claude-opus-4-8', 'claude-opus-4-8'],
    ['au.anthropic.claude-mythos-5-1', 'claude-mythos-5-1'],
    ['anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5'],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5'],
    ['claude-haiku-4-5@20251001', 'claude-haiku-4-5'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['claude-sonnet-4-5', 'claude-sonnet-4-5'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4-0'],
    ['claude-3-7-sonnet-latest', 'claude-3-7-sonnet'],
    ['CLAUDE-OPUS-5-5', 'claude-opus-5-5'],
  ])('reads %s as %s', (name, model) => {
    expect(card.price(name, { output_tokens: 0, input_tokens: 1 }, { at }).model).toBe(model);
  });
});

describe('rate card: one rounding per request', () => {
  const at = day('2026-11-23');
  it('sums lines exactly and rounds once, half to even, where per-line rounding would differ', () => {
    // Haiku 5.5 batch + US: 5m write $0.125 × 0.55 = 68.75 n$/token, hit $0.01 × 0.55 = 5.5 n$/token.
    const b = card.price(
      'claude-haiku-5-5',
      {
        input_tokens: 0,
        output_tokens: 0,
        cache_creation_input_tokens: 1,
        cache_read_input_tokens: 1,
        service_tier: 'batch',
        inference_geo: 'us',
      },
      { at },
    );
    expect(b.exactTotalUsd).toBe('0.00000007425'); // 68.75 + 5.5 = 74.25 n$
    expect(b.total).toBe(74); // rounded once
    expect(b.lines.reduce((sum, l) => sum + l.nanos, 0)).toBe(75); // 69 + 6 if each line were rounded
    expect(b.lines.map((l) => l.exactUsd)).toEqual(['0.00000006875', '0.0000000055']);
  });

  it('rounds exact halves to the even nanodollar', () => {
    const hits = (n: number) =>
      card.price(
        'claude-haiku-5-5',
        { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: n, service_tier: 'batch', inference_geo: 'us' },
        { at },
      ).total;
    expect(hits(1)).toBe(6); // 5.5 → 6
    expect(hits(3)).toBe(16); // 16.5 → 16
    expect(hits(5)).toBe(28); // 27.5 → 28
  });
});

describe('rate card: overrides, policies and refusals', () => {
  const at = day('2026-11-23');
  const rates = {
    inputPerMTok: '1',
    cacheWrite5mPerMTok: '1.25',
    cacheWrite1hPerMTok: '2',
    cacheReadPerMTok: '0.1',
    outputPerMTok: '5',
  };

  it('adds a new model with every category, bands, fast rates and an effective date', () => {
    const custom = createRateCard({
      overrides: [
        {
          model: 'claude-next-6',
          aliases: ['claude-next-6-20270101'],
          effectiveFrom: '2027-01-01',
          ...rates,
          usInference: true,
          bands: [
            {
              abovePromptTokens: 10,
              inputPerMTok: '2',
              cacheWrite5mPerMTok: '2.5',
              cacheWrite1hPerMTok: '4',
              cacheReadPerMTok: '0.2',
              outputPerMTok: '10',
            },
          ],
          fast: {
            inputPerMTok: '3',
            cacheWrite5mPerMTok: '3.75',
            cacheWrite1hPerMTok: '6',
            cacheReadPerMTok: '0.3',
            outputPerMTok: '15',
          },
        },
      ],
    });
    const when = day('2027-02-01');
    expect(total(custom.price('claude-next-6-20270101', { output_tokens: 0, input_tokens: M }, { at: when }))).toBe(
      '2',
    ); // above the 10-token band
    expect(
      total(
        custom.price(
          'claude-next-6',
          { input_tokens: 10, output_tokens: M, speed: 'fast', inference_geo: 'us' },
          { at: when },
        ),
      ),
    ).toBe('16.500033'); // (10×3 + 1M×15)/M × 1.1
    expect(custom.resolve('claude-next-6', when)).toMatchObject({
      id: 'claude-next-6@2027-01-01',
      evidence: 'config',
      origin: 'override',
    });
    expect(() => custom.price('claude-next-6', { output_tokens: 0, input_tokens: 1 }, { at })).toThrow(
      /from 2027-01-01/,
    );
  });

  it('inherits bands, fast rates and the US multiplier from the built-in row unless the override says otherwise', () => {
    const custom = createRateCard({ overrides: [{ model: 'claude-opus-5-5', effectiveFrom: '2027-01-01', ...rates }] });
    const when = day('2027-01-02');
    expect(
      total(custom.price('claude-opus-5-5', { input_tokens: 0, output_tokens: M, inference_geo: 'us' }, { at: when })),
    ).toBe('5.5');
    expect(
      total(custom.price('claude-opus-5-5', { input_tokens: 0, output_tokens: M, speed: 'fast' }, { at: when })),
    ).toBe('40');
    const noFast = createRateCard({
      overrides: [{ model: 'claude-opus-5-5', effectiveFrom: '2027-01-01', ...rates, fast: null }],
    });
    expect(() =>
      noFast.price('claude-opus-5-5', { input_tokens: 0, output_tokens: 1, speed: 'fast' }, { at: when }),
    ).toThrow(/no fast mode/);
  });

  it('refuses malformed override rows, naming every field and the fix', () => {
    const problems = checkRateCardConfig({
      overrides: [
        { model: 'claude-x', inputPerMTok: '1' },
        {
          model: '',
          effectiveFrom: '2026-13-01',
          ...rates,
          inputPerMTok: '-1',
          tokenizerFactor: 9,
          usInference: 'yes',
          cheap: true,
        },
        {
          model: 'claude-y',
          ...rates,
          outputPerMTok: '0.0000000001',
          bands: [{ abovePromptTokens: -5, ...rates }],
          fast: 'quick',
        },
      ],
      unknownModel: 'shrug',
      extra: 1,
    });
    const fields = problems.map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'rateCard.extra',
        'rateCard.overrides[0].cacheWrite5mPerMTok',
        'rateCard.overrides[0].cacheWrite1hPerMTok',
        'rateCard.overrides[0].cacheReadPerMTok',
        'rateCard.overrides[0].outputPerMTok',
        'rateCard.overrides[1].model',
        'rateCard.overrides[1].effectiveFrom',
        'rateCard.overrides[1].inputPerMTok',
        'rateCard.overrides[1].tokenizerFactor',
        'rateCard.overrides[1].usInference',
        'rateCard.overrides[1].cheap',
        'rateCard.overrides[2].outputPerMTok',
        'rateCard.overrides[2].bands[0].abovePromptTokens',
        'rateCard.overrides[2].fast',
        'rateCard.unknownModel',
      ]),
    );
    expect(problems.find((p) => p.field === 'rateCard.overrides[0].cacheReadPerMTok')?.fix).toMatch(
      /every category explicitly/,
    );
    expect(checkRateCardConfig({ overrides: 'cheap' })[0]).toMatchObject({
      field: 'rateCard.overrides',
      problem: 'must be a list of price rows',
    });
    expect(
      checkRateCardConfig({ overrides: [{ model: 'claude-z', ...rates }], unknownModel: 'charge-reported' }),
    ).toEqual([]);
    expect(() => createRateCard({ overrides: [{ model: 'claude-x', inputPerMTok: '1' } as never] })).toThrowError(
      expect.objectContaining({
        code: 'DRAWDOWN_INVALID_OPTION',
        message: expect.stringMatching(/overrides\[0\]\.cacheWrite5mPerMTok" is missing/),
      }),
    );
    expect(() => createRateCard({ unknownModel: 'shrug' as never })).toThrow(/unknownModel/);
    expect(() => createRateCard({ unknownModel: { priceAs: 'claude-nope' } })).toThrow(/does not price/);
  });

  it('refuses unknown models by default and says how to add them', () => {
    expect(() => card.price('claude-opus-9', { output_tokens: 0, input_tokens: 1 }, { at })).toThrowError(
      expect.objectContaining({ code: 'DRAWDOWN_UNKNOWN_MODEL', message: expect.stringMatching(/rateCard overrides/) }),
    );
    expect(card.unknownModel).toBe('refuse');
    expect(createRateCard({ unknownModel: 'error' }).unknownModel).toBe('refuse');
  });

  it('charges the reported cost for an unknown model under charge-reported, and says so', () => {
    const lenient = createRateCard({ unknownModel: 'charge-reported' });
    const b = lenient.price(
      'claude-opus-9',
      { input_tokens: 1000, output_tokens: 10 },
      { at, reportedCost: usd('0.0123') },
    );
    expect(b).toMatchObject({
      model: 'claude-opus-9',
      total: usd('0.0123'),
      totalUsd: '0.0123',
      pricedBy: 'reported-cost',
      lines: [],
    });
    expect(b.priceRow).toBeUndefined();
    // A known model is still priced by the card, whatever was reported.
    expect(
      lenient.price('claude-opus-5-5', { input_tokens: 0, output_tokens: M }, { at, reportedCost: 1 }),
    ).toMatchObject({
      totalUsd: '20',
      pricedBy: 'rate-card',
    });
    expect(() => lenient.price('claude-opus-9', { output_tokens: 0, input_tokens: 1 }, { at })).toThrow(
      /none came with this request/,
    );
    expect(() =>
      lenient.price('claude-opus-9', { output_tokens: 0, input_tokens: 1 }, { at, reportedCost: -5 }),
    ).toThrow(/negative/);
    const priceAs = createRateCard({ unknownModel: { priceAs: 'claude-opus-5-5' } });
    expect(priceAs.price('claude-opus-9', { input_tokens: 0, output_tokens: M }, { at })).toMatchObject({
      totalUsd: '20',
      pricedBy: 'price-as',
      priceRow: 'claude-opus-5-5@2026-09-23',
    });
  });

  it('estimates holds with fast mode, bands and US inference from the request', () => {
    const e = card.estimate({ model: 'claude-haiku-5-5', inputTokens: 100_001, maxTokens: 1000, at });
    expect(e.maxCostUsd).toBe('0.0525005'); // 100,001 × 0.50 + 1,000 × 2.50 = 50,000.5 + 2,500 µ$
    expect(
      card.estimate({ model: 'claude-opus-5-5', inputTokens: 1000, maxTokens: 1000, speed: 'fast', geo: 'us', at })
        .maxCostUsd,
    ).toBe('0.0528'); // (0.008+0.04)×1.1
  });
});
