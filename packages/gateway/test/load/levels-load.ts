import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { calendarWindow, defaultRateCard, toDecimalString, usd, type LedgerStore, type Nanos } from '@drawdown/core';
import { estimateFromParams } from '@drawdown/core/anthropic';
import { postgresStore } from '@drawdown/store-postgres';
import { sqliteStore } from '@drawdown/store-sqlite';
import { replies, startAnthropicServer } from '@drawdown/testkit';
import { keyManager, levelAccount, type BudgetHierarchy, type CreateKeyRequest } from '../../src/index.js';

/**
 * The budget-hierarchy load test, shared by CI (small) and `pnpm bench` (full): several gateway
 * processes on one ledger, many keys under teams and an organisation, many requests in flight,
 * then the ledger read back to prove that no level was overspent and every answered request was
 * charged exactly once, with the latency the gateway added over calling the upstream directly.
 * With `rateLimits`, a second set of keys (on a pool of their own, outside the hierarchy) is sent
 * bursts across the processes within one rate window, to show each requests- and tokens-per-minute
 * limit holding there and refusing the rest with 429 and `retry-after`.
 */
export interface LevelsLoadOptions {
  /** `postgres` (what teams run across hosts) or `sqlite` (one machine). */
  store: { kind: 'postgres'; url: string } | { kind: 'sqlite' };
  /** Gateway processes sharing the ledger. */
  processes: number;
  keys: number;
  teams: number;
  /** Requests in flight per gateway process. */
  inFlight: number;
  /** Requests sent in all; default three per key, enough to reach every kind of level. */
  requests?: number;
  /** Changes what each key is created with; `base` is the hierarchy's own request. */
  keyRequest?(index: number, base: CreateKeyRequest): CreateKeyRequest;
  /**
   * Rate-limited keys: half limited to `requestsPerMinute`, half to a tokens-per-minute limit of
   * `tokensPerMinuteInRequests` requests' worth, each sent `burst` requests at once over the processes.
   */
  rateLimits?: {
    keys: number;
    requestsPerMinute: number;
    tokensPerMinuteInRequests: number;
    burst: number;
    /** The bursts start only with at least this long left in the window (default 10 s). */
    windowMarginMs?: number;
  };
}

/** One rate-limited key in one window: what it was allowed, what it got, and how the rest was refused. */
export interface RateWindowCheck {
  key: number;
  limit: 'requests' | 'tokens';
  /** The key's limit per minute (requests, or tokens). */
  cap: number;
  /** Start of the window (epoch ms). */
  window: number;
  admitted: number;
  /** What the admitted requests count against the limit: requests, or the tokens they used. */
  used: number;
  /** Refusals with 429 and a `retry-after` of 1–60 s. */
  refused: number;
}

export interface RateLimitsResult {
  samples: LoadSample[];
  windows: RateWindowCheck[];
  /** Windows where a key got more than its limit (must be empty). */
  exceeded: RateWindowCheck[];
  /** Keys that were never refused although their burst passed the limit (must be empty). */
  neverRefused: number[];
  /** Refusals that were not a 429 with a usable `retry-after`, and answers other than 200 or 429 (must be empty). */
  unexpected: LoadSample[];
  /** Tokens one request counts against a tokens-per-minute limit once answered. */
  tokensPerRequest: number;
  /** How long the rate phase took, the wait for room in a window included. */
  seconds: number;
}

/** What a gateway process is started with (see `gateway-process.ts`). */
export interface LoadProcessArgs {
  store: { kind: 'postgres'; url: string; schema: string } | { kind: 'sqlite'; file: string };
  upstreamUrl: string;
  upstreamKey: string;
  poolBudget: string;
  budgets: BudgetHierarchy;
  timeZone: string;
}

export interface LoadSample {
  key: number;
  process: number;
  status: number;
  /** The refusing level for a 402 (`key`, `user`, `team`, `organisation`). */
  level?: string;
  /** Client-observed time, ms. */
  ms: number;
  /** The `retry-after` of a 429, seconds. */
  retryAfter?: number;
  /** When the request was sent (epoch ms). */
  at: number;
}

export interface LevelCheck {
  account: string;
  cap: Nanos;
  settled: Nanos;
  held: Nanos;
}

export interface LevelsLoadResult {
  samples: LoadSample[];
  /** Every capped level, read back from the ledger after the gateways closed. */
  levels: LevelCheck[];
  /** Levels whose settled spend passed their cap (must be empty). */
  overspent: LevelCheck[];
  /** Settled spend of the pool, the organisation, and in the report (must all equal answered × cost). */
  poolSettled: Nanos;
  orgSettled: Nanos;
  reported: Nanos;
  reportedRequests: number;
  answered: number;
  costPerRequest: Nanos;
  latency: { direct: { p50: number; p99: number }; gateway: { p50: number; p99: number } };
  seconds: number;
  rateLimits?: RateLimitsResult;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const UPSTREAM_KEY = 'sk-ant-load-test-0123456789abcdef';
const MODEL = 'claude-sonnet-4-5';
const USAGE = { input_tokens: 12, output_tokens: 24 };
const BODY = { model: MODEL, max_tokens: 24, messages: [{ role: 'user', content: 'Say hello in one line.' }] };
const TIME_ZONE = 'UTC';

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};
const usdOf = (nanos: number): string => toDecimalString(Math.round(nanos));

function startProcess(args: LoadProcessArgs): { child: ChildProcess; next(): Promise<Record<string, unknown>> } {
  const child = spawn(
    process.execPath,
    ['--conditions=drawdown-source', '--import', 'tsx', join(here, 'gateway-process.ts'), JSON.stringify(args)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    async next() {
      const line = await lines.next();
      if (line.done) throw new Error(`a gateway process exited early: ${stderr}`);
      return JSON.parse(line.value) as Record<string, unknown>;
    },
  };
}

/** Sends `count` requests with `inFlight` at a time, each to `target(i)`; returns one sample each. */
async function drive(
  count: number,
  inFlight: number,
  target: (i: number) => { url: string; key: string; keyIndex: number; process: number },
): Promise<LoadSample[]> {
  const samples: LoadSample[] = [];
  let next = 0;
  const body = JSON.stringify(BODY);
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const t = target(i);
      const at = Date.now();
      const started = performance.now();
      const response = await fetch(`${t.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': t.key, 'anthropic-version': '2023-06-01' },
        body,
      });
      const text = await response.text();
      const ms = performance.now() - started;
      const level =
        response.status === 402
          ? /^drawdown: (key|user|team|organisation) /.exec(JSON.parse(text).error.message)?.[1]
          : undefined;
      const retryAfter = response.status === 429 ? Number(response.headers.get('retry-after')) : undefined;
      samples.push({
        key: t.keyIndex,
        process: t.process,
        status: response.status,
        ms,
        at,
        ...(level && { level }),
        ...(retryAfter !== undefined && { retryAfter }),
      });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return samples;
}

/** `pg`, as the PostgreSQL store resolves it (the gateway does not depend on it). */
const pg = () =>
  createRequire(import.meta.resolve('@drawdown/store-postgres'))('pg') as {
    Client: new (options: {
      connectionString: string;
      connectionTimeoutMillis?: number;
    }) => {
      connect(): Promise<void>;
      query(sql: string): Promise<unknown>;
      end(): Promise<void>;
    };
  };

const WINDOW_MS = 60_000;

/** Waits, if needed, until a burst of `spanMs` fits before the next window boundary. */
async function roomInWindow(spanMs: number): Promise<void> {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < spanMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/**
 * Per key and window, what each rate-limited key got, counted from the answers. A request belongs
 * to the window it was sent in when its answer came in that window too; one answered after the
 * boundary may have been admitted in either window, and is given to the earlier one while that has
 * room under the limit, otherwise to the later one. A window over its limit is then one no
 * admission order could explain: the gateway admitted more than the limit.
 */
function rateWindows(
  samples: readonly LoadSample[],
  limitOf: (key: number) => { limit: 'requests' | 'tokens'; cap: number },
  tokensPerRequest: number,
): RateWindowCheck[] {
  const windows = new Map<string, RateWindowCheck>();
  const windowOf = (key: number, window: number): RateWindowCheck => {
    const id = `${key}:${window}`;
    let w = windows.get(id);
    if (!w) {
      const { limit, cap } = limitOf(key);
      w = { key, limit, cap, window, admitted: 0, used: 0, refused: 0 };
      windows.set(id, w);
    }
    return w;
  };
  const cost = (w: RateWindowCheck): number => (w.limit === 'requests' ? 1 : tokensPerRequest);
  const straddling: Array<{ key: number; first: number }> = [];
  for (const s of [...samples].sort((a, b) => a.at - b.at)) {
    const first = Math.floor(s.at / WINDOW_MS) * WINDOW_MS;
    const last = Math.floor((s.at + s.ms) / WINDOW_MS) * WINDOW_MS;
    if (s.status === 429 && s.retryAfter !== undefined && s.retryAfter >= 1 && s.retryAfter <= 60)
      windowOf(s.key, last).refused += 1;
    if (s.status !== 200) continue;
    if (first === last) {
      const w = windowOf(s.key, first);
      w.admitted += 1;
      w.used += cost(w);
    } else straddling.push({ key: s.key, first });
  }
  for (const { key, first } of straddling) {
    const earlier = windowOf(key, first);
    const w = earlier.used + cost(earlier) <= earlier.cap ? earlier : windowOf(key, first + WINDOW_MS);
    w.admitted += 1;
    w.used += cost(w);
  }
  return [...windows.values()];
}

export async function runLevelsLoad(options: LevelsLoadOptions): Promise<LevelsLoadResult> {
  const started = Date.now();
  const requests = options.requests ?? options.keys * 3;
  const cost = defaultRateCard.price(MODEL, USAGE).total;
  const hold = defaultRateCard.estimate({
    ...estimateFromParams(BODY, defaultRateCard),
    model: MODEL,
    at: started,
  }).maxCost;
  const n = options.keys;
  // Sized so every kind of level refuses some requests. Each key is asked three times: a key with a
  // user admits one (its user's budget binds), one without admits two (its own binds); the first team
  // admits less than its keys would, and the organisation less than all teams would.
  const teamIds = Array.from({ length: options.teams }, (_, t) => `team-${t}`);
  const budgets: BudgetHierarchy = {
    organisations: { acme: { budget: usdOf(n * hold), period: 'month', softLimit: usdOf(0.5 * n * hold) } },
    teams: Object.fromEntries(
      teamIds.map((id, t) => [
        id,
        { organisation: 'acme', budget: usdOf(((t === 0 ? 0.9 : 2) * n * hold) / options.teams), period: 'month' },
      ]),
    ),
    defaultUser: { budget: usdOf(1.5 * hold) },
  };

  const upstream = await startAnthropicServer({
    credentials: { load: UPSTREAM_KEY },
    fallback: () => replies.message({ usage: USAGE }),
  });
  let schema: string | undefined;
  let storeArgs: LoadProcessArgs['store'];
  let open: () => Promise<LedgerStore>;
  if (options.store.kind === 'postgres') {
    schema = `drawdown_load_${process.pid}_${Date.now().toString(36)}`;
    storeArgs = { kind: 'postgres', url: options.store.url, schema };
    const { url } = options.store;
    const s = schema;
    open = () => postgresStore({ connectionString: url, schema: s, listen: false });
  } else {
    const file = join(mkdtempSync(join(tmpdir(), 'drawdown-load-')), 'ledger.sqlite');
    storeArgs = { kind: 'sqlite', file };
    open = async () => sqliteStore({ file });
  }
  const processes: Array<ReturnType<typeof startProcess>> = [];
  try {
    const setupStore = await open();
    const keys = keyManager(setupStore);
    const created: string[] = [];
    for (let i = 0; i < n; i++) {
      const base: CreateKeyRequest = {
        name: `load-${i}`,
        routes: ['pool'],
        budget: usdOf(2.5 * hold),
        team: teamIds[i % options.teams]!,
        ...(i % 2 === 0 && { user: `user-${i}` }),
      };
      created.push((await keys.create(options.keyRequest ? options.keyRequest(i, base) : base)).key);
    }
    // What one request counts against a tokens-per-minute limit: its input estimate plus max_tokens
    // while in flight, the tokens it used once answered.
    const admittedTokens = (estimateFromParams(BODY, defaultRateCard).inputTokens ?? 0) + BODY.max_tokens;
    const usedTokens = USAGE.input_tokens + USAGE.output_tokens;
    const rate = options.rateLimits;
    const rateKeys: Array<{ key: string; limit: 'requests' | 'tokens'; cap: number }> = [];
    for (let i = 0; rate !== undefined && i < rate.keys; i++) {
      const limit = i % 2 === 0 ? ('requests' as const) : ('tokens' as const);
      const cap = limit === 'requests' ? rate.requestsPerMinute : rate.tokensPerMinuteInRequests * admittedTokens;
      const { key } = await keys.create({
        name: `rate-${i}`,
        routes: ['rates'],
        ...(limit === 'requests' ? { requestsPerMinute: cap } : { tokensPerMinute: cap }),
      });
      rateKeys.push({ key, limit, cap });
    }
    await setupStore.close();

    const args: LoadProcessArgs = {
      store: storeArgs,
      upstreamUrl: upstream.url,
      upstreamKey: UPSTREAM_KEY,
      poolBudget: usdOf(10 * n * hold),
      budgets,
      timeZone: TIME_ZONE,
    };
    for (let p = 0; p < options.processes; p++) processes.push(startProcess(args));
    const urls = await Promise.all(processes.map(async (p) => (await p.next()).url as string));
    const inFlight = options.inFlight * options.processes;

    // The upstream alone, at the same concurrency, for the added latency.
    const direct = await drive(Math.min(requests, 2000), inFlight, () => ({
      url: upstream.url,
      key: UPSTREAM_KEY,
      keyIndex: -1,
      process: -1,
    }));
    // Keys in a shuffled order, spread over the processes round robin.
    const order = Array.from({ length: requests }, (_, i) => (i * 7919) % n);
    const samples = await drive(requests, inFlight, (i) => ({
      url: urls[i % urls.length]!,
      key: created[order[i]!]!,
      keyIndex: order[i]!,
      process: i % urls.length,
    }));
    let rateSamples: LoadSample[] = [];
    const rateStarted = Date.now();
    if (rate) {
      // Every key's burst at once, each key's requests spread over the processes, within one window.
      await roomInWindow(rate.windowMarginMs ?? 10_000);
      rateSamples = await drive(rateKeys.length * rate.burst, inFlight, (i) => ({
        url: urls[Math.floor(i / rateKeys.length) % urls.length]!,
        key: rateKeys[i % rateKeys.length]!.key,
        keyIndex: i % rateKeys.length,
        process: Math.floor(i / rateKeys.length) % urls.length,
      }));
    }
    const rateSeconds = (Date.now() - rateStarted) / 1000;
    for (const p of processes) p.child.stdin!.write('stop\n');
    await Promise.all(processes.map((p) => p.next()));

    let rateLimits: RateLimitsResult | undefined;
    if (rate) {
      const windows = rateWindows(rateSamples, (k) => rateKeys[k]!, usedTokens);
      rateLimits = {
        samples: rateSamples,
        windows,
        exceeded: windows.filter((w) => w.used > w.cap),
        neverRefused: rateKeys.flatMap((_k, i) => (windows.some((w) => w.key === i && w.refused > 0) ? [] : [i])),
        unexpected: rateSamples.filter(
          (s) =>
            (s.status !== 200 && s.status !== 429) ||
            (s.status === 429 && !(s.retryAfter !== undefined && s.retryAfter >= 1 && s.retryAfter <= 60)),
        ),
        tokensPerRequest: usedTokens,
        seconds: rateSeconds,
      };
    }
    const store = await open();
    const now = Date.now();
    const month = calendarWindow('month', now, TIME_ZONE).key;
    const records = await keyManager(store).list();
    const levels: LevelCheck[] = [];
    const check = async (account: string, cap: Nanos, scope = 'lifetime'): Promise<void> => {
      const snap = await store.snapshot({ account, now, scopes: [scope] });
      levels.push({ account, cap, settled: snap.settled[scope] ?? 0, held: snap.held });
    };
    for (const record of records) await check(levelAccount('key', record.id), record.budget!);
    for (let i = 0; i < n; i += 2) await check(levelAccount('user', `user-${i}`), usd(budgets.defaultUser!.budget!));
    for (const id of teamIds) await check(levelAccount('team', id), usd(budgets.teams![id]!.budget!), month);
    await check(levelAccount('organisation', 'acme'), usd(budgets.organisations!.acme!.budget!), month);
    const poolSettled = (await store.snapshot({ account: 'pool', now })).settled.lifetime;
    const orgSettled = (await store.snapshot({ account: levelAccount('organisation', 'acme'), now })).settled.lifetime;
    const day = new Date(now).toISOString().slice(0, 10);
    const [report] = await store.report({ fromDay: day, toDay: day, groupBy: [], accounts: ['pool'] });
    await store.close();
    return {
      samples,
      levels,
      overspent: levels.filter((l) => l.settled > l.cap || l.held !== 0),
      poolSettled,
      orgSettled,
      reported: report?.cost ?? 0,
      reportedRequests: report?.requests ?? 0,
      answered: samples.filter((s) => s.status === 200).length,
      costPerRequest: cost,
      latency: {
        direct: summary(direct.map((s) => s.ms)),
        gateway: summary(samples.map((s) => s.ms)),
      },
      seconds: (Date.now() - started) / 1000,
      ...(rateLimits && { rateLimits }),
    };
  } finally {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await upstream.close();
    if (schema && options.store.kind === 'postgres') {
      const client = new (pg().Client)({ connectionString: options.store.url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;

/** The run in a few lines: what went through, what each limit held, and the latency the gateway added. */
export function loadReport(result: LevelsLoadResult): string {
  const { direct, gateway } = result.latency;
  const refused = (level: string) => result.samples.filter((s) => s.level === level).length;
  const lines = [
    `budget levels: ${result.samples.length} requests, ${result.answered} answered, in ${result.seconds.toFixed(1)} s; ` +
      `${result.overspent.length} of ${result.levels.length} levels overspent; refused by key ${refused('key')}, ` +
      `user ${refused('user')}, team ${refused('team')}, organisation ${refused('organisation')}`,
  ];
  const rates = result.rateLimits;
  if (rates) lines.push(`rate limits: ${rates.samples.length} requests in ${rates.seconds.toFixed(1)} s`);
  if (rates)
    for (const kind of ['requests', 'tokens'] as const) {
      const windows = rates.windows.filter((w) => w.limit === kind);
      const most = Math.max(...windows.map((w) => w.used));
      const cap = Math.min(...windows.map((w) => w.cap));
      lines.push(
        `${kind} per minute: ${windows.length} keys, at most ${most} of ${cap} used in a window, ` +
          `${windows.reduce((n, w) => n + w.refused, 0)} refused with 429 + retry-after, ${rates.exceeded.filter((w) => w.limit === kind).length} over`,
      );
    }
  lines.push(
    `added latency: p50 ${ms(gateway.p50 - direct.p50)}, p99 ${ms(gateway.p99 - direct.p99)} ` +
      `(gateway p50 ${ms(gateway.p50)}, p99 ${ms(gateway.p99)}; upstream direct p50 ${ms(direct.p50)}, p99 ${ms(direct.p99)})`,
  );
  return lines.join('\n');
}
