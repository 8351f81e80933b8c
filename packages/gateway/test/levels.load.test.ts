import { describe, expect, it } from 'vitest';
import { postgresAvailable, postgresUrl } from '../../../test-support/services.js';
import { loadReport, runLevelsLoad } from './load/levels-load.js';

const postgres = (await postgresAvailable('the budget levels load test')) ? postgresUrl : undefined;

describe.skipIf(postgres === undefined)('budget levels under load (PostgreSQL; skipped when it is unreachable)', () => {
  it('2 gateway processes, 100 keys under 3 teams and 1 organisation, 16 in flight each: no level overspent, every answer charged once, every rate limit held within its window', async () => {
    const result = await runLevelsLoad({
      store: { kind: 'postgres', url: postgres! },
      processes: 2,
      keys: 100,
      teams: 3,
      inFlight: 16,
      rateLimits: { keys: 12, requestsPerMinute: 3, tokensPerMinuteInRequests: 3, burst: 6, windowMarginMs: 6_000 },
    });
    expect(result.overspent).toEqual([]);
    // Every kind of level refused some requests, so each was actually at its limit.
    const refusedBy = new Set(result.samples.filter((s) => s.status === 402).map((s) => s.level));
    expect([...refusedBy].sort()).toEqual(['key', 'organisation', 'team', 'user']);
    expect(result.samples.filter((s) => s.status !== 200 && s.status !== 402)).toEqual([]);
    // Each answered request is in the ledger once: pool, organisation and report agree.
    const charged = result.answered * result.costPerRequest;
    expect(result.poolSettled).toBe(charged);
    expect(result.orgSettled).toBe(charged);
    expect([result.reported, result.reportedRequests]).toEqual([charged, result.answered]);
    // Each key's requests and tokens per minute held in the window of its burst, across both processes;
    // what passed the limit was refused with 429 and retry-after, as Anthropic refuses.
    const rates = result.rateLimits!;
    expect(rates.exceeded).toEqual([]);
    expect(rates.neverRefused).toEqual([]);
    expect(rates.unexpected).toEqual([]);
    for (const kind of ['requests', 'tokens'] as const) {
      const windows = rates.windows.filter((w) => w.limit === kind);
      expect(windows.length).toBeGreaterThanOrEqual(6);
      // Refusing everything would also stay within the limit: each key got some of it.
      expect(windows.every((w) => w.admitted > 0)).toBe(true);
    }
    process.stderr.write(`${loadReport(result)}\n`);
  }, 300_000);
});
