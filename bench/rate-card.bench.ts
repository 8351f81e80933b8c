import { defaultRateCard } from '@drawdown/core';
import { percentile, round, sampleMicros, type Bench } from './lib.js';

/** Pricing one usage object: name normalization, row lookup by date, band, modifiers, exact sum, one rounding. */
export default (async () => {
  const at = Date.parse('2026-11-23T12:00:00Z');
  const usage = {
    input_tokens: 1200,
    output_tokens: 350,
    cache_creation_input_tokens: 2000,
    cache_creation: { ephemeral_5m_input_tokens: 1500, ephemeral_1h_input_tokens: 500 },
    cache_read_input_tokens: 40_000,
    server_tool_use: { web_search_requests: 1 },
    service_tier: 'standard',
    inference_geo: 'us',
  };
  let sink = 0;
  const samples = await sampleMicros(
    () => {
      sink += defaultRateCard.price('claude-haiku-5-5[1m]', usage, { at }).total;
    },
    50_000,
    5_000,
  );
  if (sink < 0) throw new Error('unreachable');
  return [
    {
      name: 'price one usage object p50',
      value: round(percentile(samples, 50), 2),
      unit: 'µs',
      note: 'Haiku 5.5, every category, US inference, web search',
    },
    { name: 'price one usage object p99', value: round(percentile(samples, 99), 2), unit: 'µs', aim: '< 50 µs' },
  ];
}) satisfies Bench;
