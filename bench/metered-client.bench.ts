import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { apiKey, budget, createHub, silentLogger } from '@drawdown/core';
import { createMeteredClient } from '@drawdown/core/anthropic';
import { replies, startAnthropicServer } from '@drawdown/testkit';
import { percentile, round, type Bench, type BenchRow } from './lib.js';

// The plain client is the very SDK build core wraps, resolved from core's own dependencies.
const sdkPath = createRequire(new URL('../packages/core/package.json', import.meta.url)).resolve('@anthropic-ai/sdk');
/** The part of the SDK client the bench calls (the root workspace does not depend on the SDK itself). */
interface PlainClient {
  messages: { create(params: object): Promise<unknown> };
}
const { default: Anthropic } = (await import(pathToFileURL(sdkPath).href)) as { default: new (options: { apiKey: string; baseURL: string; maxRetries: number }) => PlainClient };

const KEY = 'sk-ant-bench-0000000000000001';
const ITERATIONS = 2_000;
const WARMUP = 300;

/**
 * Latency a metered call adds over a plain SDK call to the same loopback server, measured in the
 * same run with the two interleaved call by call, so both see the same machine state.
 */
export default (async () => {
  const server = await startAnthropicServer({ fallback: () => replies.message({ text: 'ok', usage: { input_tokens: 1200, output_tokens: 350, cache_read_input_tokens: 4000 } }) });
  const hub = await createHub({
    logger: silentLogger,
    plugins: [apiKey({ id: 'bundled', key: KEY }), budget({ id: 'trial', amount: '1000000' })],
    route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
  });
  const plain = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
  const metered = createMeteredClient({ hub, baseURL: server.url, clientOptions: { maxRetries: 0 } });
  const params = { model: 'claude-sonnet-4-6', max_tokens: 512, messages: [{ role: 'user' as const, content: 'Summarise the ledger in one line.' }] };

  const time = async (fn: () => Promise<unknown>): Promise<number> => {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1000;
  };
  const drain = async (stream: AsyncIterable<unknown>): Promise<void> => {
    for await (const event of stream) void event;
  };
  const measure = async (plainCall: () => Promise<unknown>, meteredCall: () => Promise<unknown>) => {
    for (let i = 0; i < WARMUP; i++) {
      await plainCall();
      await meteredCall();
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      a.push(await time(plainCall));
      b.push(await time(meteredCall));
    }
    return { plain: a.sort((x, y) => x - y), metered: b.sort((x, y) => x - y) };
  };

  const rows: BenchRow[] = [];
  const report = (label: string, s: { plain: number[]; metered: number[] }) => {
    for (const p of [50, 99]) {
      const base = percentile(s.plain, p);
      const with_ = percentile(s.metered, p);
      rows.push({ name: `${label} plain SDK p${p}`, value: round(base), unit: 'µs' });
      rows.push({ name: `${label} metered p${p}`, value: round(with_), unit: 'µs' });
      rows.push({ name: `${label} added by metering p${p}`, value: round(with_ - base), unit: 'µs', ...(p === 50 && { aim: '< 300 µs' }), note: 'memory store, loopback server' });
    }
  };

  report('create', await measure(() => plain.messages.create(params), () => metered.messages.create(params)));
  report(
    'stream',
    await measure(
      async () => drain((await plain.messages.create({ ...params, stream: true })) as AsyncIterable<unknown>),
      async () => drain(await metered.messages.create({ ...params, stream: true })),
    ),
  );

  await hub.close();
  await server.close();
  return rows;
}) satisfies Bench;
