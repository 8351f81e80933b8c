import { describe, expect, it } from 'vitest';
import { runDrawdown, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

const usage = JSON.stringify({
  input_tokens: 1000,
  output_tokens: 500,
  cache_creation_input_tokens: 5000,
  cache_read_input_tokens: 20000,
});

describe.concurrent('drawdown estimate', () => {
  it('prints a breakdown table with every category, its unit price, cost and the total', async () => {
    const result = await runDrawdown(['estimate', '--model', 'claude-sonnet-4-5', '--usage', usage]);
    expect(result.code).toBe(0);
    expect(unwrapped(result.stderr)).toBe('');
    // Sonnet 4.5: $3 in, $15 out; 5-minute cache write 1.25× = $3.75; cache read 0.1× = $0.30.
    // 1000×3 + 5000×3.75 + 20000×0.3 + 500×15 = 3000 + 18750 + 6000 + 7500 = 35250 µ$ = $0.03525
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('claude-sonnet-4-5');
    // In cents by default; the lines are rounded so that they add up to the rounded total.
    expect(lines.find((l) => l.startsWith('input'))).toMatch(/1,000\s+\$3\s+\$0\.00$/);
    expect(lines.find((l) => l.startsWith('cache write 5m'))).toMatch(/5,000\s+\$3\.75\s+\$0\.02$/);
    expect(lines.find((l) => l.startsWith('cache read'))).toMatch(/20,000\s+\$0\.30\s+\$0\.01$/);
    expect(lines.find((l) => l.startsWith('output'))).toMatch(/500\s+\$15\s+\$0\.01$/);
    expect(lines.find((l) => l.startsWith('Total'))).toMatch(/\$0\.04$/);
    expect(result.stdout).toContain('Exact total $0.03525; --exact prints every line exactly.');
    // --exact: every digit, and the lines still add up to the total.
    const exact = await runDrawdown(['estimate', '--model', 'claude-sonnet-4-5', '--usage', usage, '--exact']);
    const exactLines = exact.stdout.split('\n');
    expect(exactLines.find((l) => l.startsWith('input'))).toMatch(/1,000\s+\$3\s+\$0\.003$/);
    expect(exactLines.find((l) => l.startsWith('cache write 5m'))).toMatch(/5,000\s+\$3\.75\s+\$0\.01875$/);
    expect(exactLines.find((l) => l.startsWith('cache read'))).toMatch(/20,000\s+\$0\.30\s+\$0\.006$/);
    expect(exactLines.find((l) => l.startsWith('output'))).toMatch(/500\s+\$15\s+\$0\.0075$/);
    expect(exactLines.find((l) => l.startsWith('Total'))).toMatch(/\$0\.03525$/);
  }, 150_000);

  /** The Cost column of every line and of the Total row, as exact decimal digits. */
  const printedCosts = (stdout: string): { lines: string[]; total: string } => {
    const rows = stdout.split('\n').filter((l) => /^[a-zA-Z][a-zA-Z0-9 ]*\s{2,}.*\$[\d.,]+$/.test(l));
    const cost = (row: string): string => /\$([\d.,]+)$/.exec(row)![1]!.replaceAll(',', '');
    const total = rows.find((r) => r.startsWith('Total'))!;
    return { lines: rows.filter((r) => r !== total).map(cost), total: cost(total) };
  };
  /** Sums decimal strings exactly (as integers of their finest digit). */
  const decimalSum = (values: string[]): bigint => {
    const places = Math.max(...values.map((v) => (v.split('.')[1] ?? '').length));
    return values.reduce((sum, v) => {
      const [whole = '0', fraction = ''] = v.split('.');
      return sum + BigInt(whole + fraction.padEnd(places, '0'));
    }, 0n);
  };

  it.each([
    // Three lines of about $0.004 each: each alone rounds to $0.00, together they make $0.01.
    ['cents', '{"input_tokens":1334,"output_tokens":267,"cache_read_input_tokens":13340}', []],
    [
      'cents',
      '{"input_tokens":12345,"output_tokens":6789,"cache_read_input_tokens":33333,"cache_creation_input_tokens":4444}',
      [],
    ],
    [
      'exact',
      '{"input_tokens":12345,"output_tokens":6789,"cache_read_input_tokens":33333,"cache_creation_input_tokens":4444}',
      ['--exact'],
    ],
  ])('the printed lines add up to the printed total (%s): %s', async (_display, usageJson, flags) => {
    const result = await runDrawdown(['estimate', '--model', 'claude-sonnet-4-5', '--usage', usageJson, ...flags]);
    expect(result.code).toBe(0);
    const { lines, total } = printedCosts(result.stdout);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const places = Math.max(...[...lines, total].map((v) => (v.split('.')[1] ?? '').length));
    const pad = (v: string): string =>
      (v.includes('.') ? v : `${v}.`).padEnd(v.split('.')[0]!.length + 1 + places, '0');
    expect(decimalSum(lines.map(pad))).toBe(decimalSum([pad(total)]));
  });

  it('prints JSON whose totalUsd is the exact decimal total, with batch and US inference stacked', async () => {
    // Opus 4.7: $5 in / $25 out; batch 0.5× and US 1.1× stack: $2.75 in, $13.75 out per MTok.
    // 10000 × 2.75 + 2000 × 13.75 = 27500 + 27500 µ$ = $0.055
    const result = await runInProcess([
      'estimate',
      '--model',
      'claude-opus-4-7',
      '--usage',
      '{"input_tokens":10000,"output_tokens":2000}',
      '--batch',
      '--geo',
      'us',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      totalUsd: string;
      batch: boolean;
      usInference: boolean;
      lines: { category: string; unitPriceUsd: string; costUsd: string }[];
    };
    expect(json.totalUsd).toBe('0.055');
    expect(json.batch).toBe(true);
    expect(json.usInference).toBe(true);
    expect(json.lines).toEqual([
      { category: 'input', quantity: 10000, unitPriceUsd: '2.75', costUsd: '0.0275', exactUsd: '0.0275' },
      { category: 'output', quantity: 2000, unitPriceUsd: '13.75', costUsd: '0.0275', exactUsd: '0.0275' },
    ]);
  });

  it('prices a dated snapshot name as its model and counts web searches per request', async () => {
    // Haiku 4.5 $1 / $5: 2000 in = $0.002, 100 out = $0.0005, 3 searches × $0.01 = $0.03 → $0.0325
    const result = await runInProcess([
      'estimate',
      '--model',
      'claude-haiku-4-5-20251001',
      '--usage',
      '{"input_tokens":2000,"output_tokens":100,"server_tool_use":{"web_search_requests":3}}',
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ model: 'claude-haiku-4-5', totalUsd: '0.0325' });
  });

  it('fails with one error line naming close models and a hint when the model is unknown', async () => {
    const result = await runInProcess([
      'estimate',
      '--model',
      'claude-sonet-4-5',
      '--usage',
      '{"input_tokens":1,"output_tokens":0}',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    const lines = unwrapped(result.stderr).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^drawdown: No price for model "claude-sonet-4-5"\. Did you mean "claude-sonnet-4-5"/);
    expect(lines[0]).toContain('DRAWDOWN_UNKNOWN_MODEL');
    expect(lines[1]).toMatch(/^hint: /);
  });

  it('fails with one error line and a hint when the usage is not JSON', async () => {
    const result = await runInProcess([
      'estimate',
      '--model',
      'claude-sonnet-4-5',
      '--usage',
      '{ output_tokens: 0, input_tokens: 1',
    ]);
    expect(result.code).not.toBe(0);
    const lines = unwrapped(result.stderr).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^drawdown: --usage is not valid JSON/);
    expect(lines[1]).toMatch(/^hint: Quote the whole object/);
  });

  it('fails when a usage count is negative or not a whole number, naming the field', async () => {
    const negative = await runInProcess([
      'estimate',
      '--model',
      'claude-sonnet-4-5',
      '--usage',
      '{"input_tokens":-1,"output_tokens":0}',
    ]);
    expect(negative.code).not.toBe(0);
    expect(unwrapped(negative.stderr)).toMatch(/^drawdown: usage\.input_tokens must be a non-negative whole number/);
    const array = await runInProcess(['estimate', '--model', 'claude-sonnet-4-5', '--usage', '[1,2]']);
    expect(array.code).not.toBe(0);
    expect(unwrapped(array.stderr)).toMatch(/^drawdown: usage must be an object/);
  });

  it('refuses an empty or misspelled usage and an impossible --at, and warns about a day past the card', async () => {
    const base = ['estimate', '--model', 'claude-sonnet-5-5'];
    const empty = await runInProcess([...base, '--usage', '{}', '--json']);
    expect(empty.code).not.toBe(0);
    expect(JSON.parse(empty.stderr)).toMatchObject({
      code: 'DRAWDOWN_INVALID_USAGE',
      message: expect.stringMatching(/^usage\.input_tokens is missing/),
    });
    const misspelled = await runInProcess([...base, '--usage', '{"input":5000,"output":100}']);
    expect(misspelled.code).not.toBe(0);
    expect(unwrapped(misspelled.stderr)).toMatch(
      /^drawdown: usage\.input is not a usage field; accepted fields are input_tokens/,
    );
    const ok = '{"input_tokens":1000,"output_tokens":100}';
    const impossible = await runInProcess([...base, '--usage', ok, '--at', '2026-11-31']);
    expect(impossible.code).not.toBe(0);
    expect(unwrapped(impossible.stderr)).toMatch(/^drawdown: --at is "2026-11-31", not a calendar date/);
    const far = await runInProcess([...base, '--usage', ok, '--at', '2999-01-01']);
    expect(far.code).toBe(0);
    expect(far.stdout).toMatch(/warning: 2999-01-01 is after 2026-11-30, the last day this rate card knows/);
    expect(Math.max(...far.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    const farJson = await runInProcess([...base, '--usage', ok, '--at', '2999-01-01', '--json']);
    expect(JSON.parse(farJson.stdout)).toMatchObject({
      totalUsd: '0.003',
      warnings: [expect.stringMatching(/^2999-01-01 is after 2026-11-30/)],
    });
    const today = await runInProcess([...base, '--usage', ok, '--json']);
    expect(JSON.parse(today.stdout).warnings).toBeUndefined();
  });

  it('fails with a hint when a required option is missing', async () => {
    const result = await runInProcess(['estimate', '--usage', '{}']);
    expect(result.code).not.toBe(0);
    expect(unwrapped(result.stderr)).toMatch(/^drawdown: required option '--model <id>' not specified\nhint: /);
  });

  it('turns a mistyped flag into one line with the suggestion, then a hint', async () => {
    const result = await runInProcess(['estimate', '--model', 'claude-haiku-4-5', '--usage', '{}', '--jsno']);
    expect(result.code).not.toBe(0);
    expect(unwrapped(result.stderr)).toBe(
      `drawdown: unknown option '--jsno' (Did you mean --json?)\nhint: run "drawdown --help" or "drawdown <command> --help".\n`,
    );
  });

  it("prices today's models under every spelling: Claude Code's [1m], Bedrock profiles and Vertex snapshots", async () => {
    // Opus 5.5: $4 in, $20 out. 1000 × 4 + 100 × 20 = 4000 + 2000 µ$ = $0.006
    for (const model of [
      'claude-opus-5-5[1m]',
      'global.anthropic.claude-opus-5-5',
      'us.anthropic.claude-opus-5-5-v1:0',
    ]) {
      const result = await runInProcess([
        'estimate',
        '--model',
        model,
        '--usage',
        '{"input_tokens":1000,"output_tokens":100}',
        '--json',
      ]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        model: 'claude-opus-5-5',
        totalUsd: '0.006',
        priceRow: 'claude-opus-5-5@2026-09-23',
        pricedBy: 'rate-card',
      });
    }
    const vertex = await runInProcess([
      'estimate',
      '--model',
      'claude-haiku-4-5@20251001',
      '--usage',
      '{"input_tokens":1000,"output_tokens":0}',
      '--json',
    ]);
    expect(JSON.parse(vertex.stdout)).toMatchObject({ model: 'claude-haiku-4-5', totalUsd: '0.001' });
  });

  it('prices at the rates in force on --at: Sonnet 5.5 cache hits $0.20 on 2026-10-06, $0.10 from 2026-10-07', async () => {
    const usage = '{"cache_read_input_tokens":1000000,"input_tokens":0,"output_tokens":0}';
    const before = await runInProcess([
      'estimate',
      '--model',
      'claude-sonnet-5-5',
      '--usage',
      usage,
      '--at',
      '2026-10-06',
      '--json',
    ]);
    const after = await runInProcess([
      'estimate',
      '--model',
      'claude-sonnet-5-5',
      '--usage',
      usage,
      '--at',
      '2026-10-07',
      '--json',
    ]);
    expect(JSON.parse(before.stdout)).toMatchObject({ totalUsd: '0.2', priceRow: 'claude-sonnet-5-5@2026-09-28' });
    expect(JSON.parse(after.stdout)).toMatchObject({ totalUsd: '0.1', priceRow: 'claude-sonnet-5-5@2026-10-07' });
    const bad = await runInProcess([
      'estimate',
      '--model',
      'claude-sonnet-5-5',
      '--usage',
      usage,
      '--at',
      'yesterday',
      '--json',
    ]);
    expect(bad.code).not.toBe(0);
    expect(JSON.parse(bad.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
      argument: 'at',
      message: '--at is "yesterday", not a calendar date',
    });
  });

  it('reads speed, service_tier and inference_geo from the usage, and flags only fill in what it lacks', async () => {
    // Opus 5.5 fast $8/$40, US 1.1×: (1000 × 8 + 1000 × 40) × 1.1 = 52,800 µ$
    const fromUsage = await runInProcess([
      'estimate',
      '--model',
      'claude-opus-5-5',
      '--usage',
      '{"input_tokens":1000,"output_tokens":1000,"speed":"fast","inference_geo":"us"}',
      '--json',
    ]);
    expect(JSON.parse(fromUsage.stdout)).toMatchObject({ totalUsd: '0.0528', fast: true, usInference: true });
    const fromFlags = await runInProcess([
      'estimate',
      '--model',
      'claude-opus-5-5',
      '--usage',
      '{"input_tokens":1000,"output_tokens":1000}',
      '--speed',
      'fast',
      '--geo',
      'us',
      '--json',
    ]);
    expect(JSON.parse(fromFlags.stdout)).toMatchObject({ totalUsd: '0.0528' });
    const usageWins = await runInProcess([
      'estimate',
      '--model',
      'claude-opus-5-5',
      '--usage',
      '{"output_tokens":1000,"service_tier":"standard","inference_geo":"global","input_tokens":0}',
      '--batch',
      '--geo',
      'us',
      '--json',
    ]);
    expect(JSON.parse(usageWins.stdout)).toMatchObject({ totalUsd: '0.02', batch: false, usInference: false });
  });

  it('refuses an unknown geo, speed or service tier, and fast mode with batch, listing what is accepted', async () => {
    const geo = await runInProcess([
      'estimate',
      '--model',
      'claude-opus-5-5',
      '--usage',
      '{"input_tokens":1,"output_tokens":0}',
      '--geo',
      'US',
    ]);
    expect(geo.code).not.toBe(0);
    expect(unwrapped(geo.stderr)).toMatch(
      /^drawdown: geo is "US"; accepted values are "global", "us" \(DRAWDOWN_INVALID_USAGE\)/,
    );
    const tier = await runInProcess([
      'estimate',
      '--model',
      'claude-opus-5-5',
      '--usage',
      '{"input_tokens":1,"service_tier":"flex","output_tokens":0}',
      '--json',
    ]);
    expect(JSON.parse(tier.stderr)).toMatchObject({
      code: 'DRAWDOWN_INVALID_USAGE',
      message: 'usage.service_tier is "flex"; accepted values are "standard", "priority", "batch"',
    });
    const fastBatch = await runInProcess([
      'estimate',
      '--model',
      'claude-opus-5-5',
      '--usage',
      '{"input_tokens":1,"speed":"fast","output_tokens":0}',
      '--batch',
    ]);
    expect(unwrapped(fastBatch.stderr)).toMatch(/fast mode cannot be combined with the Batch API/);
  });

  it('shows the one rounding: the total is the exact sum rounded once, not the sum of rounded lines', async () => {
    // Haiku 5.5, batch + US: 1 token of 5m write = 68.75 n$, 1 cache hit = 5.5 n$; exact 74.25 n$ → 74 n$.
    const result = await runInProcess([
      'estimate',
      '--model',
      'claude-haiku-5-5',
      '--usage',
      '{"cache_creation_input_tokens":1,"cache_read_input_tokens":1,"service_tier":"batch","inference_geo":"us","input_tokens":0,"output_tokens":0}',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Total\s+\$0\.00$/m);
    expect(result.stdout).toContain('Exact total $0.00000007425; --exact prints every line exactly.');
    const exact = await runDrawdown([
      'estimate',
      '--model',
      'claude-haiku-5-5',
      '--usage',
      '{"cache_creation_input_tokens":1,"cache_read_input_tokens":1,"service_tier":"batch","inference_geo":"us","input_tokens":0,"output_tokens":0}',
      '--exact',
    ]);
    expect(exact.stdout).toMatch(/^Total\s+\$0\.00000007425$/m);
    expect(exact.stdout).toContain('Rounded once to the nanodollar: $0.000000074.');
  }, 150_000);
});
