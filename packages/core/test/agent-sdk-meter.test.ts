import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  apiKey,
  budget,
  createHub,
  memoryStore,
  silentLogger,
  usd,
  type Hub,
  type LedgerStore,
  type LimitSignal,
} from '../src/index.js';
import {
  apiRequestsFromOtlpLogs,
  createAgentSdkMeter,
  createTelemetryMeter,
  startOtlpReceiver,
  meterAgentOutput,
} from '../src/agent-sdk/index.js';
import { observingBudget } from './fixtures/anthropic-harness.js';

const fixture = (name: string): Array<Record<string, unknown>> =>
  JSON.parse(readFileSync(new URL(`./fixtures/agent-sdk/${name}.json`, import.meta.url), 'utf8'));
const twoTurns = fixture('two-turns');
const clear = fixture('clear');
const results = (messages: Array<Record<string, unknown>>) => messages.filter((m) => m.type === 'result');

describe('Agent SDK meter', () => {
  let store: LedgerStore;
  let hub: Hub;
  let signals: LimitSignal[];

  const makeHub = async (shared = store) =>
    createHub({
      store: shared,
      logger: silentLogger,
      plugins: [
        apiKey({ id: 'bundled', key: 'sk-ant-bundled-trial-0001' }),
        observingBudget({ id: 'trial', amount: '10', signals }),
      ],
      route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
    });
  const charges = async () =>
    (await store.entries({ account: 'trial', kinds: ['charge'] })).flatMap((e) =>
      e.kind === 'charge' ? [{ key: e.record.key, cost: e.record.cost, model: e.meta.model }] : [],
    );

  beforeEach(async () => {
    store = memoryStore();
    signals = [];
    hub = await makeHub();
  });
  afterEach(async () => {
    await hub.close();
    await store.close();
  });

  it('charges each turn the delta of the cumulative session cost, priced per model by the rate card', async () => {
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    const [first, second] = results(twoTurns);
    const turn1 = await meter.observe(first);
    // Sonnet: 3 in, 120 out, 11,000 cache reads, 5,120 cache writes = $0.024309; Haiku: 350 in, 40 out = $0.00055.
    expect(turn1).toMatchObject({
      kind: 'turn',
      charge: { status: 'charged', cost: usd('0.024859'), reportedCostUsd: '0.024859', reset: false },
    });
    const turn2 = await meter.observe(second);
    // Only Sonnet moved: 5 in, 300 out, 16,120 cache reads, 800 cache writes, 2 web searches = $0.032351.
    expect(turn2).toMatchObject({
      kind: 'turn',
      charge: { status: 'charged', cost: usd('0.032351'), reportedCostUsd: '0.032351' },
    });
    const rows = await charges();
    expect(rows.map((r) => r.model)).toEqual(['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-sonnet-4-5']);
    expect(rows.reduce((sum, r) => sum + r.cost, 0)).toBe(usd('0.05721'));
    expect(meter.charged).toBe(usd('0.05721'));
  });

  it('charges nothing for a repeated result message', async () => {
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    for (const message of twoTurns) await meter.observe(message);
    // The fixture repeats its last result message: the ledger holds three charges, not four.
    expect(await charges()).toHaveLength(3);
    const again = await meter.observe(results(twoTurns)[1]);
    expect(again).toMatchObject({ kind: 'turn', charge: { status: 'duplicate', cost: 0 } });
    expect((await hub.pool('trial').status()).spent).toBe(usd('0.05721'));
  });

  it('charges nothing new when a second reader over the same store replays the whole session', async () => {
    const first = createAgentSdkMeter({ hub, entry: 'trial' });
    for (const message of twoTurns) await first.observe(message);
    const otherHub = await makeHub(store);
    try {
      const second = createAgentSdkMeter({ hub: otherHub, entry: 'trial' });
      for (const message of twoTurns) await second.observe(message);
      expect(second.charged).toBe(0);
    } finally {
      await otherHub.close();
    }
    expect(await charges()).toHaveLength(3);
  });

  it('starts a new baseline when the cumulative total goes down after /clear, and charges the new spend', async () => {
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    const seen = [];
    for (const message of clear) seen.push(await meter.observe(message));
    expect(seen.at(-1)).toMatchObject({
      kind: 'turn',
      charge: { status: 'charged', reset: true, cost: usd('0.0021'), reportedCostUsd: '0.0021' },
    });
    expect(meter.charged).toBe(usd('0.05931'));
  });

  it('replays an older result message without moving the baseline back', async () => {
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    const [first, second] = results(twoTurns);
    await meter.observe(first);
    await meter.observe(second);
    expect(await meter.observe(first)).toMatchObject({
      kind: 'turn',
      charge: { status: 'duplicate', cost: 0, reset: false },
    });
    const third = { ...second, uuid: 'turn-3', total_cost_usd: (second!.total_cost_usd as number) + 0.001 };
    // Nothing new in modelUsage: the third turn charges no tokens, and nothing of the first two again.
    expect(await meter.observe(third)).toMatchObject({ kind: 'turn', charge: { status: 'nothing' } });
    expect(meter.charged).toBe(usd('0.05721'));
  });

  it("keeps a session's figures across route entries and starts a fork from its parent", async () => {
    await hub.close();
    hub = await createHub({
      store,
      logger: silentLogger,
      plugins: [
        apiKey({ id: 'bundled', key: 'sk-ant-bundled-trial-0001' }),
        budget({ id: 'trial', amount: '10' }),
        budget({ id: 'plan', amount: '100' }),
      ],
      route: {
        entries: [
          { id: 'trial', strategy: 'bundled', pool: 'trial' },
          { id: 'personal', strategy: 'bundled', pool: 'plan' },
        ],
      },
    });
    const [first, second] = results(twoTurns);
    await createAgentSdkMeter({ hub, entry: 'trial' }).observe(first);
    const personal = createAgentSdkMeter({ hub, entry: 'personal' });
    personal.expectFork(first!.session_id as string);
    const fork = { ...second, session_id: 'forked-session', uuid: 'fork-1' };
    // The fork's first result carries the parent's first turn too; only its own turn is new.
    expect(await personal.observe(fork)).toMatchObject({
      charge: { cost: usd('0.032351'), forkOf: first!.session_id },
    });
    // The parent, resumed under the next entry, continues from its first turn, not from zero.
    expect(await personal.observe(second)).toMatchObject({ charge: { cost: usd('0.032351') } });
    expect((await hub.pool('trial').status()).spent).toBe(usd('0.024859'));
    expect((await hub.pool('plan').status()).spent).toBe(usd('0.064702'));
    expect(() => personal.expectFork('')).toThrow(expect.objectContaining({ code: 'DRAWDOWN_INVALID_OPTION' }));
  });

  it('prices 5-minute and 1-hour cache writes of modelUsage each at their own rate', async () => {
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    const usage = {
      inputTokens: 0,
      outputTokens: 0,
      cacheCreationInputTokens: 150_000,
      cacheCreationEphemeral5mInputTokens: 100_000,
      cacheCreationEphemeral1hInputTokens: 50_000,
    };
    const turn = await meter.observe({
      type: 'result',
      subtype: 'success',
      session_id: 'cache',
      uuid: 'c1',
      total_cost_usd: 0,
      modelUsage: { 'claude-sonnet-4-5': usage },
    });
    // Sonnet 4.5 input $3/MTok: 5-minute writes 1.25× = $3.75, 1-hour writes 2× = $6 per million.
    expect(turn).toMatchObject({ charge: { cost: usd('0.375') + usd('0.3') } });
  });

  it('hands rate_limit_event info and api_retry errors to the pool as sent', async () => {
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    const event = twoTurns.find((m) => m.type === 'rate_limit_event')!;
    const retry = twoTurns.find((m) => m.subtype === 'api_retry')!;
    expect(await meter.observe(event)).toEqual({ kind: 'rate-limit', poolId: 'trial' });
    expect(await meter.observe(retry)).toEqual({ kind: 'api-retry', poolId: 'trial' });
    expect(signals[0]).toMatchObject({ source: 'agent-event', rateLimitInfo: event.rate_limit_info });
    expect(signals[1]).toMatchObject({ source: 'agent-event', status: 529, errorType: 'overloaded' });
  });

  it('charges the reported cost delta, rounded once to the nanodollar, when there is no modelUsage', async () => {
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    await meter.observe({ type: 'result', subtype: 'success', session_id: 's1', uuid: 'u1', total_cost_usd: 0.1 });
    const second = await meter.observe({
      type: 'result',
      subtype: 'success',
      session_id: 's1',
      uuid: 'u2',
      total_cost_usd: 0.1 + 0.2,
    });
    expect(second).toMatchObject({ kind: 'turn', charge: { cost: usd('0.2') } });
    expect(meter.charged).toBe(usd('0.3'));
  });

  it("charges the agent's own figure for a model the rate card does not know, unless told to refuse", async () => {
    const message = {
      type: 'result',
      subtype: 'success',
      session_id: 's2',
      uuid: 'u1',
      total_cost_usd: 0.5,
      modelUsage: { 'claude-future-9': { inputTokens: 10, outputTokens: 10, costUSD: 0.5 } },
    };
    const lenient = createAgentSdkMeter({ hub, entry: 'trial' });
    expect(await lenient.observe(message)).toMatchObject({ charge: { cost: usd('0.5') } });
    const strict = createAgentSdkMeter({ hub, entry: 'trial', unknownModel: 'error' });
    await expect(strict.observe({ ...message, session_id: 's3' })).rejects.toMatchObject({
      code: 'DRAWDOWN_UNKNOWN_MODEL',
    });
  });

  it('ignores other sessions when bound to one', async () => {
    const meter = createAgentSdkMeter({ hub, entry: 'trial', sessionId: 'not-this-one' });
    for (const message of twoTurns) expect(await meter.observe(message)).toEqual({ kind: 'ignored' });
    expect(await charges()).toHaveLength(0);
  });

  it('refuses a result message it cannot charge, and bad options naming the field', async () => {
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    await expect(meter.observe({ type: 'result', session_id: 's', total_cost_usd: 'lots' })).rejects.toMatchObject({
      code: 'DRAWDOWN_INVALID_USAGE',
    });
    expect(() => createAgentSdkMeter({ hub, entry: '' })).toThrow(
      expect.objectContaining({
        code: 'DRAWDOWN_INVALID_OPTION',
        data: expect.objectContaining({ owner: 'createAgentSdkMeter', field: 'entry' }),
      }),
    );
    expect(() => createAgentSdkMeter({ hub, entry: 'trial', unknownModel: 'guess' as 'error' })).toThrow(
      expect.objectContaining({ data: expect.objectContaining({ field: 'unknownModel' }) }),
    );
    expect(() => createAgentSdkMeter({ hub, entry: 'nowhere' })).toThrow(
      expect.objectContaining({ code: 'DRAWDOWN_UNKNOWN_REFERENCE' }),
    );
    // A failed message does not block the ones after it.
    expect(await meter.observe(results(twoTurns)[0])).toMatchObject({ kind: 'turn' });
  });

  it('reads stream-json output from a real child process and charges its turns', async () => {
    const lines = twoTurns.map((m) => JSON.stringify(m));
    // The child writes a banner line that is not JSON, and splits one message across two writes.
    const script = `
      const lines = JSON.parse(process.argv[1]);
      process.stdout.write('claude: starting\\n');
      for (const line of lines) { const half = line.length >> 1; process.stdout.write(line.slice(0, half)); process.stdout.write(line.slice(half) + '\\n'); }
      process.stdout.write(lines[0]);`;
    const child = spawn(process.execPath, ['-e', script, JSON.stringify(lines)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const meter = createAgentSdkMeter({ hub, entry: 'trial' });
    const invalid: string[] = [];
    const kinds: string[] = [];
    const summary = await meterAgentOutput(child.stdout, meter, {
      onInvalidLine: (l) => invalid.push(l),
      onMessage: (_m, o) => void kinds.push(o.kind),
    });
    expect(invalid).toEqual(['claude: starting']);
    expect(summary).toMatchObject({
      messages: lines.length + 1,
      turns: 3,
      invalidLines: 1,
      charged: usd('0.05721'),
      chargedUsd: '0.05721',
    });
    expect(kinds.filter((k) => k === 'rate-limit')).toHaveLength(1);
  });
});

/** An OTLP/HTTP JSON logs export with `claude_code.api_request` events, shaped as Claude Code 2.1.332 sends it. */
function otlpExport(events: Array<Record<string, string | number>>): Record<string, unknown> {
  const value = (v: string | number) =>
    typeof v === 'string' ? { stringValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] },
        scopeLogs: [
          {
            scope: { name: 'com.anthropic.claude_code.events' },
            logRecords: [
              {
                timeUnixNano: '1795703767483000000',
                body: { stringValue: 'claude_code.user_prompt' },
                attributes: [{ key: 'event.name', value: { stringValue: 'user_prompt' } }],
              },
              ...events.map((e) => ({
                timeUnixNano: '1795703767727000000',
                body: { stringValue: 'claude_code.api_request' },
                attributes: [
                  { key: 'event.name', value: { stringValue: 'api_request' } },
                  ...Object.entries(e).map(([key, v]) => ({ key, value: value(v) })),
                ],
              })),
            ],
          },
        ],
      },
    ],
  };
}

describe('Claude Code telemetry meter', () => {
  let store: LedgerStore;
  let hub: Hub;
  beforeEach(async () => {
    store = memoryStore();
    hub = await createHub({
      store,
      logger: silentLogger,
      plugins: [apiKey({ id: 'bundled', key: 'sk-ant-bundled-trial-0001' }), budget({ id: 'trial', amount: '10' })],
      route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
    });
  });
  afterEach(async () => {
    await hub.close();
    await store.close();
  });
  const call = {
    'session.id': 's1',
    model: 'claude-sonnet-4-5',
    input_tokens: 10_000,
    output_tokens: 1_000,
    cache_read_tokens: 0,
    cache_creation_tokens: 3_000,
    cache_creation_5m_tokens: 1_000,
    cache_creation_1h_tokens: 2_000,
    cost_usd: 0.0645,
    request_id: 'req_1',
  };

  it('charges each API call at the rate card once, 1-hour cache writes at their own rate, whatever is exported twice', async () => {
    const meter = createTelemetryMeter({ hub, entry: 'trial' });
    const body = otlpExport([
      call,
      {
        ...call,
        request_id: 'req_2',
        input_tokens: 0,
        output_tokens: 0,
        cache_creation_tokens: 0,
        cache_creation_5m_tokens: 0,
        cache_creation_1h_tokens: 0,
        cache_read_tokens: 4_000,
      },
    ]);
    expect(apiRequestsFromOtlpLogs(body)).toHaveLength(2);
    await meter.observeLogs(body);
    await meter.observeLogs(body);
    // Sonnet 4.5: 10,000 × $3 + 1,000 × $15 + 1,000 × $3.75 + 2,000 × $6, then 4,000 reads × $0.30, per million.
    expect(meter.charged).toBe(usd('0.03') + usd('0.015') + usd('0.00375') + usd('0.012') + usd('0.0012'));
    expect(meter.requests).toBe(2);
    expect((await hub.pool('trial').status()).spent).toBe(meter.charged);
  });

  it('keys a call without a request id by its session and sequence, and skips records that are not API calls', async () => {
    const meter = createTelemetryMeter({ hub, entry: 'trial' });
    const { request_id: _, ...noId } = call;
    await meter.observeLogs(
      otlpExport([
        { ...noId, 'event.sequence': 5 },
        { ...noId, 'event.sequence': 6 },
      ]),
    );
    await meter.observeLogs(otlpExport([{ ...noId, 'event.sequence': 5 }]));
    expect(meter.requests).toBe(2);
    expect(apiRequestsFromOtlpLogs({ resourceLogs: 'nope' })).toEqual([]);
    expect(apiRequestsFromOtlpLogs(null)).toEqual([]);
  });

  it('receives exports over OTLP/HTTP JSON, refuses what it cannot read, and lets the exporter retry a failed charge', async () => {
    const seen: unknown[] = [];
    const bad: string[] = [];
    let fail = true;
    const receiver = await startOtlpReceiver({
      async onLogs(body) {
        if (fail) {
          fail = false;
          throw new Error('store busy');
        }
        seen.push(body);
      },
      onBadExport: (reason) => bad.push(reason),
    });
    try {
      expect(receiver.env).toMatchObject({
        CLAUDE_CODE_ENABLE_TELEMETRY: '1',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.url}/v1/logs`,
      });
      const post = (path: string, body: string, type = 'application/json') =>
        fetch(`${receiver.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
      expect((await post('/v1/logs', JSON.stringify(otlpExport([call])))).status).toBe(500);
      expect((await post('/v1/logs', JSON.stringify(otlpExport([call])))).status).toBe(200);
      expect((await post('/v1/logs', '\u0000\u0001protobuf', 'application/x-protobuf')).status).toBe(400);
      expect((await post('/v1/metrics', '{}')).status).toBe(200);
      expect(seen).toHaveLength(1);
      expect(bad).toEqual([expect.stringContaining('OTEL_EXPORTER_OTLP_PROTOCOL=http/json')]);
    } finally {
      await receiver.close();
    }
  });

  it('refuses bad options naming the field', () => {
    expect(() => createTelemetryMeter({ hub, entry: '' })).toThrow(
      expect.objectContaining({ code: 'DRAWDOWN_INVALID_OPTION', data: expect.objectContaining({ field: 'entry' }) }),
    );
    expect(() => createTelemetryMeter({ hub: undefined as unknown as Hub, entry: 'trial' })).toThrow(
      expect.objectContaining({ data: expect.objectContaining({ field: 'hub' }) }),
    );
    expect(() => createTelemetryMeter({ hub, entry: 'nowhere' })).toThrow(
      expect.objectContaining({ code: 'DRAWDOWN_UNKNOWN_REFERENCE' }),
    );
  });
});
