import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHub, apiKey, budget, createRateCard, localDate, memoryStore, usd } from '@drawdown/core';
import { localDates } from '../src/calendar.js';
import { meteredRequestIds, readClaudeCodeUsage, type ClaudeCodeUsage } from '@drawdown/core/claude-logs';

const sessions = fileURLToPath(new URL('./fixtures/claude-code-logs/sessions/', import.meta.url));
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A Claude Code directory holding the recorded session logs (or none), and a cache file of its own. */
function claudeDir(withFixtures = true): { dir: string; project: string; cacheFile: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(path.join(tmpdir(), 'drawdown-claude-logs-'));
  made.push(dir);
  const project = path.join(dir, 'projects', '-work');
  mkdirSync(project, { recursive: true });
  if (withFixtures) cpSync(sessions, project, { recursive: true });
  return { dir, project, cacheFile: path.join(dir, 'cache', 'reader.json'), env: { CLAUDE_CONFIG_DIR: dir } };
}

const read = (at: ReturnType<typeof claudeDir>, extra: Partial<Parameters<typeof readClaudeCodeUsage>[0]> = {}) =>
  readClaudeCodeUsage({ env: at.env, timeZone: 'UTC', cacheFile: at.cacheFile, ...extra });

const tokens = (u: ClaudeCodeUsage) =>
  u.rows.reduce(
    (sum, r) => ({
      input: sum.input + r.inputTokens,
      output: sum.output + r.outputTokens,
      cacheRead: sum.cacheRead + r.cacheReadTokens,
      cacheWrite: sum.cacheWrite + r.cacheWriteTokens,
    }),
    { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  );

/** An assistant line as Claude Code 2.1 writes it (top-level type after the message). */
const assistant = (id: string, usage: Record<string, unknown>, model = 'claude-haiku-4-5') =>
  `${JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    message: {
      id: `msg_${id}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: 'hi' }],
      usage,
    },
    requestId: `req_${id}`,
    type: 'assistant',
    uuid: `u-${id}`,
    timestamp: '2026-12-01T10:00:00.000Z',
  })}\n`;

describe("readClaudeCodeUsage on the real Claude Code's session logs", () => {
  it('counts each response once, prices it, and finds the last plan-limit message', async () => {
    const at = claudeDir();
    const usage = await read(at);
    // Six recorded sessions: five answered prompts (one streamed in three blocks, one in two) and one refused by the plan.
    expect(usage.files).toBe(readdirSync(sessions).length);
    expect(usage.requests).toBe(5);
    expect(usage.duplicates).toBe(3);
    expect(usage.skipped).toEqual({ garbage: 0, truncated: 0, absurd: 0, malformed: 0 });
    expect(tokens(usage)).toEqual({ input: 1615, output: 2100, cacheRead: 62_000, cacheWrite: 7400 });
    expect(usage.lastLimitMessage?.text).toMatch(/^You've hit your 5-hour limit · resets /);
    expect(usage.total).toBe(usage.rows.reduce((sum, r) => sum + r.cost!, 0));
  });

  it('marks the part of the total priced by an unconfirmed [U] row', async () => {
    const usage = await read(claudeDir());
    // Fable 5.2 is [U] in the rate card: $8 in, $40 out per million → 500 in + 100 out = $0.008.
    expect(usage.unconfirmed).toEqual({ cost: usd('0.008'), requests: 1, models: ['claude-fable-5-2'] });
    expect(usage.rows.find((r) => r.model === 'claude-fable-5-2')?.unconfirmedCost).toBe(usd('0.008'));
    expect(usage.rows.find((r) => r.model === 'claude-haiku-4-5')?.unconfirmedCost).toBe(0);
  });

  it('reads only what is new the second time: nothing for unchanged logs, the appended bytes for a grown one', async () => {
    const at = claudeDir();
    const first = await read(at);
    expect(first.read.files).toBe(first.files);
    const again = await read(at);
    expect(again.read).toEqual({ files: 0, bytes: 0, cached: first.files });
    expect({ ...again, read: undefined }).toEqual({ ...first, read: undefined });

    const log = path.join(at.project, readdirSync(at.project)[0]!);
    const line = assistant('appended', { input_tokens: 100, output_tokens: 20 });
    appendFileSync(log, line);
    const grown = await read(at);
    expect(grown.read).toEqual({ files: 1, bytes: Buffer.byteLength(line), cached: first.files - 1 });
    expect(grown.requests).toBe(first.requests + 1);
    expect(tokens(grown).input).toBe(tokens(first).input + 100);
  });

  it('reads a rewritten log again from the start, and forgets a removed one', async () => {
    const at = claudeDir(false);
    const log = path.join(at.project, 'a.jsonl');
    writeFileSync(log, assistant('one', { input_tokens: 100, output_tokens: 1 }));
    expect((await read(at)).requests).toBe(1);
    // Longer, other content: it looks appended to, but the bytes before the old offset differ, so it is read whole.
    writeFileSync(log, assistant('two', { input_tokens: 2000, output_tokens: 2 }));
    const rewritten = await read(at);
    expect(rewritten.requests).toBe(1);
    expect(tokens(rewritten).input).toBe(2000);
    rmSync(log);
    const gone = await read(at);
    expect(gone.requests).toBe(0);
    expect(JSON.parse(readFileSync(at.cacheFile, 'utf8')).files).toEqual({});
  });

  it('prices again when the rate card changes, instead of keeping cached costs', async () => {
    const at = claudeDir(false);
    writeFileSync(path.join(at.project, 'a.jsonl'), assistant('one', { input_tokens: 1_000_000, output_tokens: 0 }));
    expect((await read(at)).total).toBe(usd('1')); // Haiku 4.5: $1 per million input tokens
    const dearer = createRateCard({
      overrides: [
        {
          model: 'claude-haiku-4-5',
          effectiveFrom: '2026-11-01',
          inputPerMTok: '2',
          outputPerMTok: '10',
          cacheWrite5mPerMTok: '2.5',
          cacheWrite1hPerMTok: '4',
          cacheReadPerMTok: '0.2',
        },
      ],
    });
    expect((await read(at, { rateCard: dearer })).total).toBe(usd('2'));
  });
});

describe('readClaudeCodeUsage on a planted fixture whose truth is known', () => {
  it('reports exactly the tokens and price of each distinct response, once however many files repeat it', async () => {
    const at = claudeDir(false);
    // Four responses. A resumed session copies its parent's history into a new file, message ids and
    // request ids included; a streamed reply repeats its usage on each block, the last one complete;
    // a subagent writes its own file under the session.
    const truth = {
      first: { input_tokens: 1_200, output_tokens: 340, cache_read_input_tokens: 9_000 },
      second: { input_tokens: 75, output_tokens: 910, cache_creation_input_tokens: 2_048 },
      resumed: { input_tokens: 5, output_tokens: 77, cache_read_input_tokens: 11_000 },
      subagent: { input_tokens: 640, output_tokens: 128 },
    };
    const partial = { ...truth.second, output_tokens: 1 };
    writeFileSync(
      path.join(at.project, 'a.jsonl'),
      assistant('first', truth.first) + assistant('second', partial) + assistant('second', truth.second),
    );
    writeFileSync(
      path.join(at.project, 'b-resumed.jsonl'),
      assistant('first', truth.first) + assistant('second', truth.second) + assistant('resumed', truth.resumed),
    );
    mkdirSync(path.join(at.project, 'a', 'subagents'), { recursive: true });
    writeFileSync(
      path.join(at.project, 'a', 'subagents', 'agent-1.jsonl'),
      assistant('subagent', truth.subagent, 'claude-sonnet-4-5'),
    );
    const usage = await read(at);
    expect(usage.requests).toBe(4);
    expect(usage.duplicates).toBe(3);
    const sum = (field: string) =>
      Object.values(truth).reduce((n, u) => n + ((u as Record<string, number>)[field] ?? 0), 0);
    expect(tokens(usage)).toEqual({
      input: sum('input_tokens'),
      output: sum('output_tokens'),
      cacheRead: sum('cache_read_input_tokens'),
      cacheWrite: sum('cache_creation_input_tokens'),
    });
    const card = createRateCard();
    const priced = (model: string, u: object) => card.price(model, u, { at: Date.parse('2026-12-01T10:00:00Z') }).total;
    expect(usage.total).toBe(
      priced('claude-haiku-4-5', truth.first) +
        priced('claude-haiku-4-5', truth.second) +
        priced('claude-haiku-4-5', truth.resumed) +
        priced('claude-sonnet-4-5', truth.subagent),
    );
    expect(usage.total).toBeGreaterThan(0);
    expect(usage.rows.map((r) => [r.model, r.requests])).toEqual([
      ['claude-haiku-4-5', 3],
      ['claude-sonnet-4-5', 1],
    ]);
  });
});

describe('readClaudeCodeUsage on damaged logs', () => {
  it('counts what it skips, by reason, and refuses absurd token counts', async () => {
    const at = claudeDir(false);
    const good = assistant('good', { input_tokens: 10, output_tokens: 5 });
    const cut = assistant('cut', { input_tokens: 10, output_tokens: 5 }).slice(0, 120);
    writeFileSync(
      path.join(at.project, 'damaged.jsonl'),
      [
        good,
        'this is not JSON at all\n',
        `${cut}\n`,
        assistant('huge', { input_tokens: 1e30, output_tokens: 5 }),
        assistant('negative', { input_tokens: -3, output_tokens: 5 }),
        assistant('text', { input_tokens: 'ten', output_tokens: 5 }),
        `${JSON.stringify({ type: 'assistant', message: { role: 'assistant', model: 'claude-haiku-4-5', usage: { input_tokens: 1 } } })}\n`,
        '{"type":"user","message":{"role":"user","content":"no usage here"}}\r\n',
        '\n',
      ].join(''),
    );
    const usage = await read(at);
    expect(usage.requests).toBe(1);
    expect(tokens(usage)).toEqual({ input: 10, output: 5, cacheRead: 0, cacheWrite: 0 });
    expect(usage.skipped).toEqual({ garbage: 1, truncated: 1, absurd: 2, malformed: 2 });
  });

  it('leaves a last line without its newline for later, counted as cut short, and counts it once it is complete', async () => {
    const at = claudeDir(false);
    const log = path.join(at.project, 'live.jsonl');
    const line = assistant('live', { input_tokens: 7, output_tokens: 3 });
    writeFileSync(log, line.slice(0, 50));
    const writing = await read(at);
    expect(writing.requests).toBe(0);
    expect(writing.skipped.truncated).toBe(1);
    appendFileSync(log, line.slice(50));
    const done = await read(at);
    expect(done.requests).toBe(1);
    expect(done.skipped.truncated).toBe(0);
  });

  it('reads a line longer than its read buffer, and lines in any key order', async () => {
    const at = claudeDir(false);
    const long = JSON.stringify({
      parentUuid: null,
      message: {
        role: 'assistant',
        id: 'msg_long',
        model: 'claude-haiku-4-5',
        content: [{ type: 'text', text: 'x'.repeat(3 * 1024 * 1024) }],
        usage: { input_tokens: 1, output_tokens: 2 },
      },
      requestId: 'req_long',
      type: 'assistant',
      timestamp: '2026-12-01T10:00:00.000Z',
    });
    // Top-level type first, then a big attachment-like value before the message.
    const typeFirst = JSON.stringify({
      type: 'assistant',
      extra: [{ type: 'user' }],
      timestamp: '2026-12-01T10:00:00.000Z',
      message: { id: 'msg_first', model: 'claude-haiku-4-5', usage: { input_tokens: 4, output_tokens: 8 } },
      requestId: 'req_first',
    });
    writeFileSync(path.join(at.project, 'long.jsonl'), `${long}\n${typeFirst}\n`);
    const usage = await read(at);
    expect(usage.requests).toBe(2);
    expect(tokens(usage)).toMatchObject({ input: 5, output: 10 });
  });
});

describe('observed beside metered', () => {
  it('leaves out the responses the ledger already charged, matched by request or message id', async () => {
    const at = claudeDir(false);
    writeFileSync(
      path.join(at.project, 'a.jsonl'),
      [
        assistant('a', { input_tokens: 1_000_000, output_tokens: 0 }),
        assistant('b', { input_tokens: 1_000_000, output_tokens: 0 }),
        assistant('c', { input_tokens: 1_000_000, output_tokens: 0 }),
      ].join(''),
    );
    const hub = await createHub({
      store: memoryStore(),
      plugins: [apiKey({ id: 'key', key: 'sk-ant-unused' }), budget({ id: 'team', amount: '50' })],
      route: { entries: [{ id: 'team', strategy: 'key', pool: 'team' }] },
    });
    await hub.charge({ requestId: 'req_a', entry: 'team', model: 'claude-haiku-4-5', cost: usd('1') });
    await hub.charge({ requestId: 'msg_b', entry: 'team', model: 'claude-haiku-4-5', cost: usd('1') });
    const metered = await meteredRequestIds(hub.store);
    expect(metered).toEqual(new Set(['req_a', 'msg_b']));
    const usage = await read(at, { metered });
    expect(usage.requests).toBe(1);
    expect(usage.total).toBe(usd('1'));
    expect(usage.metered).toEqual({ requests: 2, cost: usd('2') });
    await hub.close();
  });

  it('puts each response on its local day in the given zone', async () => {
    const at = claudeDir(false);
    writeFileSync(path.join(at.project, 'a.jsonl'), assistant('a', { input_tokens: 1, output_tokens: 1 }));
    // 2026-12-01T10:00Z is midnight starting the 1st in Honolulu (UTC−10) and midnight starting the 2nd on Kiritimati (UTC+14).
    expect((await read(at, { timeZone: 'Pacific/Honolulu' })).rows[0]?.day).toBe('2026-12-01');
    expect((await read(at, { timeZone: 'Pacific/Kiritimati' })).rows[0]?.day).toBe('2026-12-02');
    expect((await read(at, { fromDay: '2026-12-02' })).requests).toBe(0);
  });
});

describe('localDates', () => {
  it('agrees with localDate at every quarter hour around DST changes, in whole-hour and odd-offset zones', () => {
    for (const zone of ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Europe/London', 'UTC']) {
      const fast = localDates(zone);
      for (const start of [Date.UTC(2026, 2, 7), Date.UTC(2026, 3, 4), Date.UTC(2026, 9, 3), Date.UTC(2026, 10, 1)])
        for (let t = start; t < start + 3 * 86_400_000; t += 7 * 60_000 + 13_000)
          expect(fast(t), `${zone} ${new Date(t).toISOString()}`).toBe(localDate(t, zone));
    }
  });
});
