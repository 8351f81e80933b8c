import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
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
const { default: Anthropic } = (await import(pathToFileURL(sdkPath).href)) as {
  default: new (options: { apiKey: string; baseURL: string; maxRetries: number; fetch?: typeof fetch }) => PlainClient;
};

const KEY = 'sk-ant-bench-0000000000000001';
const ITERATIONS = 2_000;
const WARMUP = 300;
const USAGE = { input_tokens: 1200, output_tokens: 350, cache_read_input_tokens: 4000 };

/** A fetch that answers every call at once with the same message: no socket, no server, only client work. */
const cannedFetch = (): typeof fetch => {
  const body = JSON.stringify({
    id: 'msg_bench',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-6',
    content: [{ type: 'text', text: 'ok' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: USAGE,
  });
  return async () =>
    new Response(body, { status: 200, headers: { 'content-type': 'application/json', 'request-id': 'req_bench' } });
};

/**
 * Latency a metered call adds over a plain SDK call to the same loopback server, measured in the
 * same run with the two interleaved call by call, so both see the same machine state.
 */
export default (async () => {
  const server = await startAnthropicServer({ fallback: () => replies.message({ text: 'ok', usage: USAGE }) });
  const hub = await createHub({
    logger: silentLogger,
    plugins: [apiKey({ id: 'bundled', key: KEY }), budget({ id: 'trial', amount: '1000000' })],
    route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
  });
  const plain = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
  const metered = createMeteredClient({ hub, baseURL: server.url, clientOptions: { maxRetries: 0 } });
  const params = {
    model: 'claude-sonnet-4-6',
    max_tokens: 512,
    messages: [{ role: 'user' as const, content: 'Summarise the ledger in one line.' }],
  };

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
    const paired: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      a.push(await time(plainCall));
      b.push(await time(meteredCall));
      paired.push(b[i]! - a[i]!);
    }
    const sort = (xs: number[]) => xs.sort((x, y) => x - y);
    return { plain: sort(a), metered: sort(b), paired: sort(paired) };
  };

  const rows: BenchRow[] = [];
  const load = `load ${loadavg()[0]!.toFixed(1)}`;
  const report = (
    label: string,
    s: { plain: number[]; metered: number[]; paired: number[] },
    where = 'loopback server',
  ) => {
    for (const p of [50, 99]) {
      const base = percentile(s.plain, p);
      const with_ = percentile(s.metered, p);
      rows.push({ name: `${label} plain SDK p${p}`, value: round(base), unit: 'µs' });
      rows.push({ name: `${label} metered p${p}`, value: round(with_), unit: 'µs' });
      rows.push({
        name: `${label} added by metering p${p}`,
        value: round(with_ - base),
        unit: 'µs',
        ...(p === 50 && { aim: '< 300 µs' }),
        note: `memory store, ${where}`,
      });
    }
    // The median of call-by-call differences: steadier than a difference of medians on a busy machine.
    rows.push({
      name: `${label} added, paired median`,
      value: round(percentile(s.paired, 50)),
      unit: 'µs',
      note: `memory store, ${where}, ${load}`,
    });
  };

  report(
    'create',
    await measure(
      () => plain.messages.create(params),
      () => metered.messages.create(params),
    ),
  );
  report(
    'stream',
    await measure(
      async () => drain((await plain.messages.create({ ...params, stream: true })) as AsyncIterable<unknown>),
      async () => drain(await metered.messages.create({ ...params, stream: true })),
    ),
  );

  // The same call with the network taken out: what is left is the client work metering adds.
  const canned = cannedFetch();
  const plainOffline = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0, fetch: canned });
  const meteredOffline = createMeteredClient({
    hub,
    baseURL: server.url,
    clientOptions: { maxRetries: 0, fetch: canned },
  });
  report(
    'create',
    await measure(
      () => plainOffline.messages.create(params),
      () => meteredOffline.messages.create(params),
    ),
    'canned fetch, no network',
  );

  await hub.close();
  await server.close();
  return rows;
}) satisfies Bench;
