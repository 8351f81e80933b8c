import { describe, expect, it } from 'vitest';
import { postgresAvailable, postgresUrl } from '../../../test-support/services.js';
import { runLevelsLoad } from './load/levels-load.js';

const postgres = (await postgresAvailable('the budget levels load test')) ? postgresUrl : undefined;

describe.skipIf(postgres === undefined)('budget levels under load (PostgreSQL; skipped when it is unreachable)', () => {
  it('2 gateway processes, 100 keys under 3 teams and 1 organisation, 16 in flight each: no level overspent, every answer charged once', async () => {
    const result = await runLevelsLoad({
      store: { kind: 'postgres', url: postgres! },
      processes: 2,
      keys: 100,
      teams: 3,
      inFlight: 16,
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
    const { direct, gateway } = result.latency;
    process.stderr.write(
      `budget levels load: ${result.samples.length} requests (${result.answered} answered) in ${result.seconds.toFixed(1)} s; ` +
        `added latency p50 ${(gateway.p50 - direct.p50).toFixed(2)} ms, p99 ${(gateway.p99 - direct.p99).toFixed(2)} ms\n`,
    );
  }, 300_000);
});
