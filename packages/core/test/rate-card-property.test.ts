import { describe, expect, it } from 'vitest';
import { defaultRateCard as card } from '@drawdown/core';

/**
 * An independent model of the card, written from RATES.md without reading the card's code or data:
 * prices are decimal strings turned into integers of 10⁻²⁴ USD, modifiers multiply those exactly,
 * and the total is rounded once to 10⁻⁹ USD, half to even. The card must agree to the last digit.
 */
type Rates = [input: string, write5m: string, write1h: string, hit: string, output: string];
interface Model {
  rates: Rates;
  band?: { above: number; rates: Rates };
  fast?: Rates;
  us: boolean;
}
const MODELS: Record<string, Model> = {
  'claude-opus-5-5': { rates: ['4', '5', '8', '0.20', '20'], fast: ['8', '10', '16', '0.40', '40'], us: true },
  'claude-opus-5': { rates: ['5', '6.25', '10', '0.50', '25'], fast: ['10', '12.50', '20', '1', '50'], us: true },
  'claude-opus-4-8': { rates: ['5', '6.25', '10', '0.50', '25'], fast: ['10', '12.50', '20', '1', '50'], us: true },
  'claude-fable-5-1': { rates: ['10', '12.50', '20', '0.25', '50'], us: true },
  'claude-fable-5': { rates: ['10', '12.50', '20', '1', '50'], us: true },
  'claude-sonnet-5-5': { rates: ['2', '2.50', '4', '0.10', '10'], us: true },
  'claude-sonnet-4-6': { rates: ['3', '3.75', '6', '0.30', '15'], us: true },
  'claude-sonnet-4-5': {
    rates: ['3', '3.75', '6', '0.30', '15'],
    band: { above: 200_000, rates: ['6', '7.50', '12', '0.60', '22.50'] },
    us: false,
  },
  'claude-haiku-5-5': {
    rates: ['0.10', '0.125', '0.20', '0.01', '0.50'],
    band: { above: 100_000, rates: ['0.50', '0.625', '1', '0.05', '2.50'] },
    us: true,
  },
  'claude-haiku-4-5': { rates: ['1', '1.25', '2', '0.10', '5'], us: false },
  'claude-opus-4-1': { rates: ['15', '18.75', '30', '1.50', '75'], us: false },
  'claude-3-haiku': { rates: ['0.25', '0.30', '0.50', '0.03', '1.25'], us: false },
};

const SCALE = 24;
function toUnits(decimal: string): bigint {
  const [whole, fraction = ''] = decimal.split('.');
  return BigInt(whole + fraction.padEnd(SCALE, '0'));
}
function unitsToUsd(units: bigint): string {
  const digits = units.toString().padStart(SCALE + 1, '0');
  const fraction = digits.slice(-SCALE).replace(/0+$/, '');
  return digits.slice(0, -SCALE) + (fraction ? `.${fraction}` : '');
}

interface Sample {
  input: number;
  write5m: number;
  write1h: number;
  read: number;
  output: number;
  searches: number;
  batch: boolean;
  us: boolean;
  fast: boolean;
}

function expected(model: Model, s: Sample): { exact: string; nanos: bigint } {
  const prompt = s.input + s.write5m + s.write1h + s.read;
  const rates = s.fast ? model.fast! : model.band && prompt > model.band.above ? model.band.rates : model.rates;
  const counts = [s.input, s.write5m, s.write1h, s.read, s.output];
  // Σ tokens × $/MTok ÷ 1,000,000, then × 1/2 for batch and × 11/10 for US, all exact in 10⁻²⁴ USD.
  let tokens = counts.reduce((sum, n, i) => sum + BigInt(n) * toUnits(rates[i]!), 0n) / 1_000_000n;
  if (s.batch) tokens /= 2n;
  if (s.us && model.us) tokens = (tokens * 11n) / 10n;
  const exact = tokens + BigInt(s.searches) * toUnits('0.01');
  const step = 10n ** BigInt(SCALE - 9);
  let nanos = exact / step;
  const rest = exact % step;
  if (rest * 2n > step || (rest * 2n === step && nanos % 2n === 1n)) nanos += 1n;
  return { exact: unitsToUsd(exact), nanos };
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ (t + t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('rate card against an independent exact-decimal model', () => {
  it('agrees on 5,000 random usages: every model, band, modifier and combination', () => {
    const random = mulberry32(20261123);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    // Token counts from 0 to 400,000, biased toward the band edges and small odd numbers.
    const count = (): number =>
      pick([0, 0, 1, 3, 7, 99_999, 100_000, 100_001, 200_000, 200_001]) +
      (random() < 0.7 ? Math.floor(random() ** 3 * 400_000) : 0);
    const names = Object.keys(MODELS);
    const at = Date.parse('2026-11-23T12:00:00Z');
    for (let i = 0; i < 5_000; i++) {
      const name = pick(names);
      const model = MODELS[name]!;
      const fast = model.fast !== undefined && random() < 0.3;
      const s: Sample = {
        input: count(),
        write5m: count(),
        write1h: count(),
        read: count(),
        output: count(),
        searches: random() < 0.2 ? Math.floor(random() * 6) : 0,
        batch: !fast && random() < 0.4,
        us: random() < 0.4,
        fast,
      };
      // One in five band models lands its prompt exactly on the threshold or one past it.
      if (model.band && random() < 0.2) {
        const rest = s.write5m + s.write1h + s.read;
        if (rest <= model.band.above) s.input = model.band.above - rest + pick([0, 1]);
      }
      const usage = {
        input_tokens: s.input,
        output_tokens: s.output,
        cache_creation_input_tokens: s.write5m + s.write1h,
        cache_creation: { ephemeral_5m_input_tokens: s.write5m, ephemeral_1h_input_tokens: s.write1h },
        cache_read_input_tokens: s.read,
        server_tool_use: { web_search_requests: s.searches },
        service_tier: s.batch ? 'batch' : 'standard',
        inference_geo: s.us ? 'us' : 'global',
        speed: s.fast ? 'fast' : 'standard',
      };
      const want = expected(model, s);
      const got = card.price(name, usage, { at });
      if (BigInt(got.total) !== want.nanos || got.exactTotalUsd !== want.exact) {
        expect({ name, s, total: got.total, exact: got.exactTotalUsd }).toEqual({
          name,
          s,
          total: Number(want.nanos),
          exact: want.exact,
        });
      }
    }
  });
});
