import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { percentile, round, type Bench, type BenchRow } from './lib.js';

/**
 * Latency the drawdown gateway adds over calling the upstream directly, next to @portkey-ai/gateway
 * proxying the same loopback upstream, in the same run. Upstream (the testkit's answers, replayed),
 * drawdown gateway (memory ledger) and Portkey each run in their own process; this process only
 * sends requests, rotating the three targets so all see the same machine state.
 */
const ROLE = process.env.DRAWDOWN_GATEWAY_BENCH_ROLE;
const KEY = 'sk-ant-bench-gateway-000000000000001';
const USAGE = { input_tokens: 1200, output_tokens: 40, cache_read_input_tokens: 4000 };
const TEXT = 'The quick brown fox jumps over the lazy dog again and again';

if (ROLE === 'upstream') {
  // The testkit server's own answers (one JSON message, one SSE stream), recorded once and replayed
  // byte for byte by a bare node:http server: the upstream then costs the same few µs on every
  // path, and what the table shows is the proxies' own work.
  const { createServer } = await import('node:http');
  const { replies, startAnthropicServer } = await import('@drawdown/testkit');
  const testkit = await startAnthropicServer({ fallback: () => replies.message({ text: TEXT, usage: USAGE }) });
  const record = async (stream: boolean) => {
    const response = await fetch(`${testkit.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 256,
        stream,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    return { type: response.headers.get('content-type')!, body: Buffer.from(await response.arrayBuffer()) };
  };
  const json = await record(false);
  const sse = await record(true);
  await testkit.close();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const stream = Buffer.concat(chunks).includes('"stream":true');
      const answer = stream ? sse : json;
      res.writeHead(200, {
        'content-type': answer.type,
        'content-length': answer.body.length,
        'request-id': 'req_bench',
      });
      res.end(answer.body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })}\n`,
  );
} else if (ROLE === 'drawdown') {
  const { apiKey, budget, createHub, silentLogger } = await import('@drawdown/core');
  const { keyManager, startGateway } = await import('../packages/gateway/src/index.js');
  const hub = await createHub({
    logger: silentLogger,
    plugins: [apiKey({ id: 'bundled', key: KEY }), budget({ id: 'trial', amount: '1000000' })],
    route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
  });
  const { key } = await keyManager(hub.store).create({ name: 'bench', routes: ['trial'] });
  const gateway = await startGateway({ hub, upstream: { url: process.env.DRAWDOWN_GATEWAY_BENCH_UPSTREAM! } });
  process.stdout.write(`${JSON.stringify({ url: gateway.url, key })}\n`);
}

// undici is the gateway's dependency, not the workspace root's: load the very build it uses.
/** The part of undici's Pool the bench uses (the root workspace does not depend on undici itself). */
interface Pool {
  request(options: {
    path: string;
    method: 'POST';
    headers: Record<string, string>;
    body: string;
  }): Promise<{ statusCode: number; body: AsyncIterable<Buffer> & { text(): Promise<string> } }>;
  close(): Promise<void>;
}
const { Pool } = createRequire(new URL('../packages/gateway/package.json', import.meta.url))('undici') as {
  Pool: new (url: string, options: { connections: number; keepAliveTimeout: number }) => Pool;
};

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');

/** Starts a child and resolves with the first JSON line it prints (or the URL Portkey announces). */
function child<Info>(
  args: string[],
  env: Record<string, string>,
  ready: (text: string) => Info | undefined,
): Promise<{ proc: ChildProcess; info: Info }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const info = ready(out);
      if (info !== undefined) {
        proc.stdout!.off('data', onData);
        proc.stdout!.resume();
        resolve({ proc, info });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
    proc.once('exit', (code) => reject(new Error(`bench child exited (${code}): ${err.slice(0, 500)}`)));
  });
}
/** The first JSON line a bench child printed: `{ url }` from the upstream, `{ url, key }` from drawdown. */
const jsonLine = <Info>(text: string): Info | undefined => {
  const line = text.split('\n').find((l) => l.startsWith('{') && l.endsWith('}'));
  return line ? (JSON.parse(line) as Info) : undefined;
};

interface Target {
  name: string;
  pool: Pool;
  headers: Record<string, string>;
}

const body = (stream: boolean): string =>
  JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 256,
    stream,
    messages: [{ role: 'user', content: 'Say something short.' }],
  });

async function once(target: Target, payload: string): Promise<number> {
  const start = process.hrtime.bigint();
  const response = await target.pool.request({
    path: '/v1/messages',
    method: 'POST',
    headers: target.headers,
    body: payload,
  });
  if (response.statusCode !== 200)
    throw new Error(`${target.name} answered ${response.statusCode}: ${(await response.body.text()).slice(0, 300)}`);
  // Time to the last byte: a streamed answer counts when it has fully arrived.
  for await (const _ of response.body) void _;
  return Number(process.hrtime.bigint() - start) / 1e3;
}

/** Latencies (µs) per target: `rounds` rounds, each sending `perRound` requests to every target in turn with `inFlight` at once. */
async function measure(
  targets: Target[],
  stream: boolean,
  inFlight: number,
  rounds: number,
  perRound: number,
): Promise<number[][]> {
  const payload = body(stream);
  const samples = targets.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, target] of targets.entries()) {
      let left = perRound;
      const worker = async (): Promise<void> => {
        while (left-- > 0) samples[i]!.push(await once(target, payload));
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
    }
  }
  return samples.map((s) => s.sort((a, b) => a - b));
}

async function throughput(target: Target, inFlight: number, ms: number): Promise<number> {
  const payload = body(false);
  let done = 0;
  const end = performance.now() + ms;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      await once(target, payload);
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (done / (performance.now() - start)) * 1000;
}

/** A smoke run (a few requests per case) when DRAWDOWN_BENCH_QUICK is set: checks the wiring, measures nothing. */
const SCALE = process.env.DRAWDOWN_BENCH_QUICK ? 0.05 : 1;
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE));

const fmt = (us: number): string => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${Math.round(us)} µs`);

export default (async () => {
  const tsx = ['--conditions=drawdown-source', '--import', 'tsx', join(here, 'gateway.bench.ts')];
  const upstream = await child(tsx, { DRAWDOWN_GATEWAY_BENCH_ROLE: 'upstream' }, jsonLine<{ url: string }>);
  const drawdown = await child(
    tsx,
    { DRAWDOWN_GATEWAY_BENCH_ROLE: 'drawdown', DRAWDOWN_GATEWAY_BENCH_UPSTREAM: upstream.info.url },
    jsonLine<{ url: string; key: string }>,
  );
  const portkeyPort = 20_000 + Math.floor(Math.random() * 20_000);
  const portkeyEntry = join(
    createRequire(join(root, 'package.json')).resolve('@portkey-ai/gateway/package.json'),
    '..',
    'build',
    'start-server.js',
  );
  const portkey = await child(
    [portkeyEntry, `--port=${portkeyPort}`, '--headless'],
    { NODE_ENV: 'production' },
    (text) => (text.includes('Ready') ? {} : undefined),
  );
  const children = [upstream.proc, drawdown.proc, portkey.proc];
  const pools: Pool[] = [];
  const pool = (url: string): Pool => {
    const p = new Pool(url, { connections: 64, keepAliveTimeout: 30_000 });
    pools.push(p);
    return p;
  };
  const base = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
  const targets: Target[] = [
    { name: 'direct', pool: pool(upstream.info.url), headers: { ...base, 'x-api-key': KEY } },
    { name: 'drawdown', pool: pool(drawdown.info.url), headers: { ...base, 'x-api-key': drawdown.info.key } },
    {
      name: 'portkey',
      pool: pool(`http://127.0.0.1:${portkeyPort}`),
      headers: {
        ...base,
        'x-api-key': KEY,
        'x-portkey-provider': 'anthropic',
        'x-portkey-custom-host': `${upstream.info.url}/v1`,
      },
    },
  ];
  try {
    const load = loadavg()[0]!;
    // Portkey 1.15.2 on Node answers every streamed /v1/messages with a 500 (it appends headers to
    // the upstream fetch Response, whose headers are immutable): its stream rows are then marked.
    const portkeyStreamError = await once(targets[2]!, body(true)).then(
      () => undefined,
      (error: Error) => error.message.split(':').slice(1).join(':').trim().slice(0, 60),
    );
    const streamTargets = portkeyStreamError === undefined ? targets : targets.slice(0, 2);
    // Warm every path (JIT, connections) before measuring.
    await measure(targets, false, 8, 1, scaled(400));
    await measure(streamTargets, true, 8, 1, scaled(200));
    const cases = [
      { label: 'json, 1 in flight', stream: false, inFlight: 1, rounds: 10, perRound: 150 },
      { label: 'sse, 1 in flight', stream: true, inFlight: 1, rounds: 10, perRound: 100 },
      { label: 'json, 64 in flight', stream: false, inFlight: 64, rounds: 5, perRound: 640 },
      { label: 'sse, 64 in flight', stream: true, inFlight: 64, rounds: 5, perRound: 640 },
    ];
    const rows: BenchRow[] = [];
    const table: string[][] = [];
    for (const c of cases) {
      const [direct, viaDrawdown, viaPortkey] = await measure(
        c.stream ? streamTargets : targets,
        c.stream,
        c.inFlight,
        c.rounds,
        scaled(c.perRound),
      );
      const added = (s: number[], p: number): number => percentile(s, p) - percentile(direct!, p);
      const ours = [added(viaDrawdown!, 50), added(viaDrawdown!, 99)];
      const theirs = viaPortkey ? [added(viaPortkey, 50), added(viaPortkey, 99)] : undefined;
      table.push([
        c.label,
        fmt(percentile(direct!, 50)),
        ...ours.map(fmt),
        ...(theirs ? theirs.map(fmt) : ['500s', '500s']),
      ]);
      const aim = c.inFlight === 1 ? '≤ 1000 µs, < Portkey' : '< Portkey';
      const note = (i: number): string =>
        theirs ? `Portkey ${round(theirs[i]!)} µs` : `Portkey fails: ${portkeyStreamError}`;
      rows.push({ name: `added p50, ${c.label}`, value: round(ours[0]!), unit: 'µs', note: note(0) });
      rows.push({ name: `added p99, ${c.label}`, value: round(ours[1]!), unit: 'µs', aim, note: note(1) });
    }
    const rate = await throughput(targets[1]!, 64, scaled(4_000));
    const portkeyRate = await throughput(targets[2]!, 64, scaled(4_000));
    const directRate = await throughput(targets[0]!, 64, scaled(4_000));
    rows.push({
      name: 'json req/s through the gateway, 64 in flight',
      value: Math.round(rate),
      unit: 'req/s',
      aim: '≥ 5000',
      note: `direct ${Math.round(directRate)}, Portkey ${Math.round(portkeyRate)}`,
    });

    // The side-by-side table (80 columns), on stderr next to the progress lines.
    const header = ['case', 'direct p50', 'dd +p50', 'dd +p99', 'portkey +p50', 'portkey +p99'];
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    const line = (cells: string[]): string =>
      cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
    process.stderr.write(
      `\ngateway: added latency over calling the loopback upstream directly (dd = drawdown)\n${line(header)}\n${widths.map((w) => '─'.repeat(w)).join('  ')}\n${table.map(line).join('\n')}\n` +
        `throughput, json, 64 in flight: drawdown ${Math.round(rate)} req/s · Portkey ${Math.round(portkeyRate)} · direct ${Math.round(directRate)}\n` +
        `${portkeyStreamError ? `Portkey streams: every request failed (${portkeyStreamError})\n` : ''}load average at start ${load.toFixed(2)}\n\n`,
    );
    return rows;
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    for (const proc of children) proc.kill('SIGTERM');
  }
}) satisfies Bench;
