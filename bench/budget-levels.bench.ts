import { loadReport, runLevelsLoad } from '../packages/gateway/test/load/levels-load.js';
import { postgresAvailable, postgresUrl } from '../test-support/services.js';
import { round, type Bench } from './lib.js';

/**
 * The budget hierarchy at full size on PostgreSQL: 4 gateway processes, 1,000 keys under 3 teams
 * and 1 organisation, 64 requests in flight each. Every level is held with the pool in one store
 * step; the rows say whether any level was overspent and what the gateway added to each request.
 */
const bench: Bench = async () => {
  const url = postgresUrl;
  if (!(await postgresAvailable('the budget levels bench')))
    return [
      {
        name: 'budget levels, 4 gateways (postgres)',
        value: 0,
        unit: '',
        note: 'PostgreSQL unreachable, not measured',
      },
    ];
  const r = await runLevelsLoad({
    store: { kind: 'postgres', url },
    processes: 4,
    keys: 1000,
    teams: 3,
    inFlight: 64,
    // Bursts of 1,000 requests started early in a window, so most keys' bursts end within it.
    rateLimits: { keys: 100, requestsPerMinute: 4, tokensPerMinuteInRequests: 4, burst: 10, windowMarginMs: 45_000 },
  });
  process.stderr.write(`${loadReport(r)}\n`);
  const { direct, gateway } = r.latency;
  const rates = r.rateLimits!;
  const rateRow = (kind: 'requests' | 'tokens') => {
    const windows = rates.windows.filter((w) => w.limit === kind);
    return {
      name: `keys over their ${kind} per minute in a window, 4 gateways`,
      value: rates.exceeded.filter((w) => w.limit === kind).length,
      unit: `of ${windows.length}`,
      aim: '0',
      note: `at most ${Math.max(...windows.map((w) => w.used))} of ${Math.min(...windows.map((w) => w.cap))} used; ${windows.reduce((n, w) => n + w.refused, 0)} refused with 429 + retry-after; never refused: ${rates.neverRefused.length}`,
    };
  };
  const refused = (level: string) => r.samples.filter((s) => s.level === level).length;
  const where = '4 gateways × 64 in flight, 1,000 keys, 3 teams, 1 organisation (postgres)';
  return [
    {
      name: `levels overspent, ${where}`,
      value: r.overspent.length,
      unit: `of ${r.levels.length}`,
      aim: '0',
      note: `${r.answered} answered; refused by key ${refused('key')}, user ${refused('user')}, team ${refused('team')}, organisation ${refused('organisation')}`,
    },
    {
      name: 'answered requests charged once (pool = organisation = report)',
      value: Number(
        r.poolSettled === r.answered * r.costPerRequest &&
          r.orgSettled === r.poolSettled &&
          r.reported === r.poolSettled,
      ),
      unit: 'yes',
      aim: '1',
    },
    rateRow('requests'),
    rateRow('tokens'),
    { name: 'added latency p50, 256 in flight (postgres)', value: round(gateway.p50 - direct.p50, 2), unit: 'ms' },
    { name: 'added latency p99, 256 in flight (postgres)', value: round(gateway.p99 - direct.p99, 2), unit: 'ms' },
    {
      name: 'requests through the gateways per second (postgres)',
      value: Math.round((r.samples.length / (r.samples.at(-1)!.at - r.samples[0]!.at + 1)) * 1000),
      unit: '/s',
      note: `upstream alone p50 ${round(direct.p50, 2)} ms`,
    },
  ];
};

export default bench;
