import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { percentile, round, type Bench, type BenchRow } from './lib.js';

/**
 * Latency the drawdown gateway adds over calling the upstream directly, on each ledger users run
 * (the CLI's default SQLite file, PostgreSQL with two gateway processes sharing it), the memory
 * ledger for reference, @portkey-ai/gateway proxying the same upstream, and a bare undici proxy as
 * the floor of what Node can do. Every server runs in its own process; this one only sends
 * requests, rotating the targets so all see the same machine state.
 *
 * DRAWDOWN_GATEWAY_BENCH_PATHS=sqlite,memory measures only those paths (besides direct); the path
 * `postgres-durable-holds` (PostgreSQL with `durableHolds: true`) is measured only when named there;
 * DRAWDOWN_GATEWAY_BENCH_PROFILE=<dir> writes a CPU profile of each drawdown gateway process there.
 */
const ROLE = process.env.DRAWDOWN_GATEWAY_BENCH_ROLE;
const KEY = 'sk-ant-bench-gateway-000000000000001';
const USAGE = { input_tokens: 1200, output_tokens: 40, cache_read_input_tokens: 4000 };
const TEXT = 'The quick brown fox jumps over the lazy dog again and again';
const PG_URL = process.env.DRAWDOWN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

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
} else if (ROLE === 'floor') {
  // The least a Node proxy can do: read the body, forward it over a keep-alive undici pool, pipe
  // the answer back. No parsing, no ledger.
  const { createServer } = await import('node:http');
  const { pipeline } = await import('node:stream/promises');
  // Typed by the little used here: undici is the gateway's dependency, not the workspace root's.
  const { Pool } = createRequire(new URL('../packages/gateway/package.json', import.meta.url))('undici') as {
    Pool: new (
      url: string,
      options: { connections: number },
    ) => {
      request(options: { path: string; method: 'POST'; headers: Record<string, string>; body: Buffer }): Promise<{
        statusCode: number;
        headers: Record<string, string | undefined>;
        body: NodeJS.ReadableStream;
      }>;
    };
  };
  const upstream = new Pool(process.env.DRAWDOWN_GATEWAY_BENCH_UPSTREAM!, { connections: 128 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const body = Buffer.concat(chunks);
        const answer = await upstream.request({
          path: req.url!,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'anthropic-version': '2023-06-01',
            'x-api-key': KEY,
            'content-length': String(body.length),
          },
          body,
        });
        const type = answer.headers['content-type'];
        res.writeHead(answer.statusCode, type === undefined ? {} : { 'content-type': type });
        await pipeline(answer.body, res);
      } catch {
        res.destroy();
      }
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
  const ledger = process.env.DRAWDOWN_GATEWAY_BENCH_STORE;
  // The ledgers as users open them: the CLI's SQLite store with its defaults, PostgreSQL team mode.
  const store =
    ledger === 'sqlite'
      ? (await import('../packages/store-sqlite/src/index.js')).sqliteStore({
          file: process.env.DRAWDOWN_GATEWAY_BENCH_FILE!,
        })
      : ledger === 'postgres'
        ? await (await import('../packages/store-postgres/src/index.js')).postgresStore({
            // 4 connections, not the default 16: up to four gateway processes share a server whose
            // max_connections other work uses too, and group commit needs few.
            pool: new (createRequire(new URL('../packages/store-postgres/package.json', import.meta.url))('pg').Pool)({
              connectionString: PG_URL,
              max: 4,
            }),
            schema: process.env.DRAWDOWN_GATEWAY_BENCH_SCHEMA!,
            durableHolds: process.env.DRAWDOWN_GATEWAY_BENCH_DURABLE_HOLDS === 'true',
          })
        : undefined;
  const hub = await createHub({
    logger: silentLogger,
    ...(store && { store }),
    plugins: [apiKey({ id: 'bundled', key: KEY }), budget({ id: 'trial', amount: '1000000' })],
    route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
  });
  // A second gateway on a shared ledger uses the key the first one created.
  const key =
    process.env.DRAWDOWN_GATEWAY_BENCH_KEY ||
    (await keyManager(hub.store).create({ name: 'bench', routes: ['trial'] })).key;
  const gateway = await startGateway({ hub, upstream: { url: process.env.DRAWDOWN_GATEWAY_BENCH_UPSTREAM! } });
  // A clean stop records every settle (and lets --cpu-prof write its profile).
  process.once('SIGTERM', () => {
    void gateway
      .close()
      .then(() => hub.close())
      .then(() => store?.close())
      .finally(() => process.exit(0));
  });
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
  /** One pool per server; requests alternate between them (two gateways on one ledger). */
  pools: Pool[];
  headers: Record<string, string>;
  next: number;
  /** The target's own processes, whose CPU time is counted (not the upstream's or PostgreSQL's). */
  pids: number[];
}

const TICK_US = 10_000; // USER_HZ is 100 on Linux

/**
 * CPU time (user + system, µs) the processes have used so far, from /proc; undefined where there is
 * no /proc. Unlike latency, CPU per request hardly moves with the machine's load.
 */
function cpuMicros(pids: readonly number[]): number | undefined {
  let ticks = 0;
  try {
    for (const pid of pids) {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return undefined;
  }
  return ticks * TICK_US;
}

const body = (stream: boolean): string =>
  JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 256,
    stream,
    messages: [{ role: 'user', content: 'Say something short.' }],
  });

async function once(target: Target, payload: string): Promise<number> {
  const pool = target.pools[target.next++ % target.pools.length]!;
  const start = process.hrtime.bigint();
  const response = await pool.request({ path: '/v1/messages', method: 'POST', headers: target.headers, body: payload });
  if (response.statusCode !== 200)
    throw new Error(`${target.name} answered ${response.statusCode}: ${(await response.body.text()).slice(0, 300)}`);
  // Time to the last byte: a streamed answer counts when it has fully arrived.
  for await (const _ of response.body) void _;
  return Number(process.hrtime.bigint() - start) / 1e3;
}

interface Measured {
  /** Latencies, µs, sorted. */
  samples: number[];
  /** Requests per second over the time spent on this target. */
  rate: number;
  /** CPU time its processes spent per request, µs (undefined without /proc). */
  cpu: number | undefined;
}

/** Per target: `rounds` rounds, each sending `perRound` requests to every target in turn with `inFlight` at once. */
async function measure(
  targets: Target[],
  stream: boolean,
  inFlight: number,
  rounds: number,
  perRound: number,
): Promise<Measured[]> {
  const payload = body(stream);
  const samples = targets.map(() => [] as number[]);
  const spent = targets.map(() => 0);
  const cpu = targets.map((): number | undefined => 0);
  for (let round = 0; round < rounds; round++) {
    for (const [i, target] of targets.entries()) {
      let left = perRound;
      const worker = async (): Promise<void> => {
        while (left-- > 0) samples[i]!.push(await once(target, payload));
      };
      const cpuBefore = cpuMicros(target.pids);
      const start = performance.now();
      await Promise.all(Array.from({ length: inFlight }, worker));
      spent[i]! += performance.now() - start;
      const cpuAfter = cpuMicros(target.pids);
      cpu[i] = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpu[i]! + cpuAfter - cpuBefore;
    }
  }
  return samples.map((s, i) => ({
    samples: s.sort((a, b) => a - b),
    rate: (s.length / spent[i]!) * 1000,
    cpu: cpu[i] === undefined ? undefined : cpu[i]! / s.length,
  }));
}

/** A smoke run (a few requests per case) when DRAWDOWN_BENCH_QUICK is set: checks the wiring, measures nothing. */
const SCALE = process.env.DRAWDOWN_BENCH_QUICK ? 0.05 : 1;
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE));

const fmt = (us: number): string => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${Math.round(us)} µs`);

/** What each path is called in the table, and whether DRAWDOWN_GATEWAY_BENCH_PATHS keeps it. */
const PATHS = {
  sqlite: 'drawdown, SQLite (CLI default)',
  postgres: 'drawdown, PostgreSQL, 2 gateways',
  'postgres-durable-holds': '… with durableHolds: true',
  memory: 'drawdown, memory ledger',
  portkey: 'Portkey 1.15.2',
  floor: 'floor: bare undici proxy',
} as const;
type PathId = keyof typeof PATHS;
/** Measured only when asked for: two more gateway processes' connections on a server others share. */
const ASKED_ONLY: PathId[] = ['postgres-durable-holds'];
const wanted = (id: PathId): boolean => {
  const only = process.env.DRAWDOWN_GATEWAY_BENCH_PATHS;
  return only ? only.split(',').includes(id) : !ASKED_ONLY.includes(id);
};

/** A fresh PostgreSQL schema name and how to drop it; undefined when the server cannot be reached. */
async function postgresSchema(id: string): Promise<{ schema: string; drop(): Promise<void> } | string> {
  const pg = createRequire(new URL('../packages/store-postgres/package.json', import.meta.url))('pg') as {
    Client: new (
      config: object,
    ) => {
      connect(): Promise<void>;
      query(sql: string): Promise<unknown>;
      end(): Promise<void>;
    };
  };
  const schema = `drawdown_gateway_bench_${process.pid}_${id.replaceAll('-', '_')}`;
  const run = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    await run(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } catch (error) {
    return (error as Error).message.slice(0, 100);
  }
  return { schema, drop: () => run(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`) };
}

export default (async () => {
  const tsx = ['--conditions=drawdown-source', '--import', 'tsx', join(here, 'gateway.bench.ts')];
  const profileDir = process.env.DRAWDOWN_GATEWAY_BENCH_PROFILE;
  const drawdownArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...tsx] : tsx;
  const dir = mkdtempSync(join(tmpdir(), 'drawdown-gateway-bench-'));
  const children: ChildProcess[] = [];
  const pools: Pool[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const pool = (url: string): Pool => {
    const p = new Pool(url, { connections: 64, keepAliveTimeout: 30_000 });
    pools.push(p);
    return p;
  };
  const base = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
  const notes: string[] = [];
  try {
    const upstream = await child(tsx, { DRAWDOWN_GATEWAY_BENCH_ROLE: 'upstream' }, jsonLine<{ url: string }>);
    children.push(upstream.proc);
    const env = { DRAWDOWN_GATEWAY_BENCH_UPSTREAM: upstream.info.url };
    const direct: Target = {
      name: 'direct',
      pools: [pool(upstream.info.url)],
      headers: { ...base, 'x-api-key': KEY },
      next: 0,
      pids: [upstream.proc.pid!],
    };
    const paths: Array<{ id: PathId; target: Target }> = [];
    const drawdown = async (store: string, extra: Record<string, string> = {}) => {
      const started = await child(
        drawdownArgs,
        { ...env, DRAWDOWN_GATEWAY_BENCH_ROLE: 'drawdown', DRAWDOWN_GATEWAY_BENCH_STORE: store, ...extra },
        jsonLine<{ url: string; key: string }>,
      );
      children.push(started.proc);
      return { ...started.info, pid: started.proc.pid! };
    };
    const gatewayTarget = (id: PathId, servers: Array<{ url: string; key: string; pid: number }>): Target => ({
      name: id,
      pools: servers.map((s) => pool(s.url)),
      headers: { ...base, 'x-api-key': servers[0]!.key },
      next: 0,
      pids: servers.map((s) => s.pid),
    });
    if (wanted('sqlite')) {
      const file = join(dir, 'ledger.sqlite');
      paths.push({
        id: 'sqlite',
        target: gatewayTarget('sqlite', [await drawdown('sqlite', { DRAWDOWN_GATEWAY_BENCH_FILE: file })]),
      });
    }
    for (const id of ['postgres', 'postgres-durable-holds'] as const) {
      if (!wanted(id)) continue;
      const pg = await postgresSchema(id);
      if (typeof pg === 'string') {
        notes.push(`PostgreSQL unavailable, its rows not measured: ${pg}`);
        continue;
      }
      cleanups.push(pg.drop);
      const extra = {
        DRAWDOWN_GATEWAY_BENCH_SCHEMA: pg.schema,
        DRAWDOWN_GATEWAY_BENCH_DURABLE_HOLDS: String(id === 'postgres-durable-holds'),
      };
      const first = await drawdown('postgres', extra);
      const second = await drawdown('postgres', { ...extra, DRAWDOWN_GATEWAY_BENCH_KEY: first.key });
      paths.push({ id, target: gatewayTarget(id, [first, second]) });
    }
    if (wanted('memory')) paths.push({ id: 'memory', target: gatewayTarget('memory', [await drawdown('memory')]) });
    let portkeyStreamError: string | undefined;
    if (wanted('portkey')) {
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
      children.push(portkey.proc);
      const target: Target = {
        name: 'portkey',
        pools: [pool(`http://127.0.0.1:${portkeyPort}`)],
        headers: {
          ...base,
          'x-api-key': KEY,
          'x-portkey-provider': 'anthropic',
          'x-portkey-custom-host': `${upstream.info.url}/v1`,
        },
        next: 0,
        pids: [portkey.proc.pid!],
      };
      paths.push({ id: 'portkey', target });
      // Portkey 1.15.2 on Node answers every streamed /v1/messages with a 500 (it appends headers
      // to the upstream fetch Response, whose headers are immutable): its stream rows are marked.
      portkeyStreamError = await once(target, body(true)).then(
        () => undefined,
        (error: Error) => error.message.split(':').slice(1).join(':').trim().slice(0, 60),
      );
    }
    if (wanted('floor')) {
      const floor = await child(tsx, { ...env, DRAWDOWN_GATEWAY_BENCH_ROLE: 'floor' }, jsonLine<{ url: string }>);
      children.push(floor.proc);
      paths.push({
        id: 'floor',
        target: { name: 'floor', pools: [pool(floor.info.url)], headers: base, next: 0, pids: [floor.proc.pid!] },
      });
    }

    const load = loadavg()[0]!;
    const all = [direct, ...paths.map((p) => p.target)];
    const streams = [direct, ...paths.filter((p) => p.id !== 'portkey' || !portkeyStreamError).map((p) => p.target)];
    // Warm every path (JIT, connections, the ledgers' first pages) before measuring.
    await measure(all, false, 8, 1, scaled(400));
    await measure(streams, true, 8, 1, scaled(200));
    const cases = [
      { label: 'json, 1 in flight', stream: false, inFlight: 1, rounds: 10, perRound: 150 },
      { label: 'sse, 1 in flight', stream: true, inFlight: 1, rounds: 10, perRound: 100 },
      { label: 'json, 64 in flight', stream: false, inFlight: 64, rounds: 5, perRound: 1280 },
      { label: 'sse, 64 in flight', stream: true, inFlight: 64, rounds: 5, perRound: 1280 },
    ];
    const rows: BenchRow[] = [];
    const blocks: string[] = [];
    for (const c of cases) {
      const targets = c.stream ? streams : all;
      const measured = await measure(targets, c.stream, c.inFlight, c.rounds, scaled(c.perRound));
      const base = measured[0]!;
      const added = (m: Measured, p: number): number => percentile(m.samples, p) - percentile(base.samples, p);
      const table: string[][] = [];
      // Every drawdown row names Portkey's figure of the same case: the aim is to stay below it.
      const portkey = paths.find((p) => p.id === 'portkey');
      const portkeyAt = portkey ? targets.indexOf(portkey.target) : -1;
      const versus = (p: number): string =>
        portkeyAt >= 0
          ? `Portkey ${fmt(added(measured[portkeyAt]!, p))}`
          : portkey
            ? `Portkey fails: ${portkeyStreamError}`
            : 'Portkey not measured';
      for (const { id, target } of paths) {
        const i = targets.indexOf(target);
        if (i < 0) {
          table.push([PATHS[id], 'fails', 'fails', '—', '—']);
          continue;
        }
        const m = measured[i]!;
        const p50 = added(m, 50);
        const p99 = added(m, 99);
        table.push([PATHS[id], fmt(p50), fmt(p99), Math.round(m.rate).toLocaleString('en-US'), cpuText(m)]);
        if (id === 'floor' || id === 'portkey' || id === 'memory') continue;
        const ledger = id === 'sqlite' ? 'SQLite' : id === 'postgres' ? 'PostgreSQL' : 'PostgreSQL, durableHolds: true';
        const aim50 = c.inFlight === 1 ? (id === 'sqlite' ? '≤ 300 µs' : '≤ 1000 µs') : undefined;
        rows.push({
          name: `${ledger}: added p50, ${c.label}`,
          value: round(p50),
          unit: 'µs',
          ...(aim50 && { aim: aim50 }),
          note: versus(50),
        });
        rows.push({
          name: `${ledger}: added p99, ${c.label}`,
          value: round(p99),
          unit: 'µs',
          ...(c.inFlight === 1 && id === 'sqlite' && { aim: '≤ 1000 µs' }),
          note: versus(99),
        });
        if (m.cpu !== undefined) {
          const others = (['portkey', 'floor'] as const).flatMap((other) => {
            const at = targets.findIndex((t) => t === paths.find((p) => p.id === other)?.target);
            return at >= 0 ? [`${other} ${cpuText(measured[at]!)}`] : [];
          });
          rows.push({
            name: `${ledger}: CPU per request, ${c.label}`,
            value: round(m.cpu),
            unit: 'µs',
            note: `the gateway processes' own user + system time${others.length ? `; ${others.join(', ')}` : ''}`,
          });
        }
        if (c.inFlight > 1) {
          const portkeyRate = portkeyAt >= 0 ? `, Portkey ${Math.round(measured[portkeyAt]!.rate)}` : '';
          rows.push({
            name: `${ledger}: req/s, ${c.label}`,
            value: Math.round(m.rate),
            unit: 'req/s',
            aim: `≥ ${Math.round(base.rate / 2).toLocaleString('en-US')} (half of direct)`,
            note: `direct ${Math.round(base.rate)}${portkeyRate}`,
          });
        }
      }
      blocks.push(
        `${c.label}: direct p50 ${fmt(percentile(base.samples, 50))}, ${Math.round(base.rate).toLocaleString('en-US')} req/s, upstream cpu/req ${cpuText(base)}\n${layout(['path', '+p50', '+p99', 'req/s', 'cpu/req'], table)}`,
      );
    }
    if (portkeyStreamError) notes.push(`Portkey streams: every request failed (${portkeyStreamError})`);
    // The side-by-side tables (80 columns), on stderr next to the progress lines.
    process.stderr.write(
      `\ngateway: latency added over calling the loopback upstream directly\n\n${blocks.join('\n\n')}\n\n${notes.map((n) => `${n}\n`).join('')}load average at start ${load.toFixed(2)}\n\n`,
    );
    return rows;
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    const exits = children.map((proc) => new Promise((resolve) => proc.once('exit', resolve)));
    for (const proc of children) proc.kill('SIGTERM');
    await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}) satisfies Bench;

const cpuText = (m: Measured): string => (m.cpu === undefined ? '—' : fmt(m.cpu));

function layout(header: string[], table: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...table.map(line)].join('\n');
}
