import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  apiKey,
  budget,
  createHub,
  createRateCard,
  defaultRateCard,
  ErrorCodes,
  invalidOption,
  isDrawdownError,
  memoryStore,
  payAsYouGo,
  type DrawdownError,
} from '@drawdown/core';
import { reconcile } from '@drawdown/core/reconcile';
import { credits, manualProvider } from '@drawdown/plugin-credits';
import { postgresStore } from '@drawdown/store-postgres';
import { sqliteStore } from '@drawdown/store-sqlite';
import { checkConfig } from '../src/config/check.js';
import type { ConfigProblem, DrawdownConfig } from '../src/config/types.js';
import { validateConfig } from '../src/config/validate.js';

/** Everything `config check` reports about a configuration, without opening its ledger. */
async function configProblems(config: unknown): Promise<ConfigProblem[]> {
  const loaded = { config: config as DrawdownConfig, problems: validateConfig(config), searched: [], fromEnv: [] };
  return (await checkConfig(loaded, { env: {}, cwd: tmpdir() })).problems;
}

/** The INVALID_OPTION error a library factory gives for the same option used from code. */
async function refusal(build: () => unknown): Promise<DrawdownError<typeof ErrorCodes.INVALID_OPTION>> {
  try {
    await build();
  } catch (error) {
    if (isDrawdownError(error, ErrorCodes.INVALID_OPTION)) return error;
    throw error;
  }
  throw new Error('the factory accepted the option');
}

const memory = { kind: 'memory' } as const;
const range = { store: memoryStore(), rateCard: defaultRateCard, from: 0, to: 3_600_000, now: 7_200_000 };

/** One bad option per owner: where the configuration holds it, and the factory that owns its rule. */
const cases: Array<{ option: string; config: object; path: string; factory: () => unknown }> = [
  {
    option: 'a budget amount below zero',
    config: { pools: { trial: { kind: 'budget', amount: '-3' } } },
    path: 'pools.trial.amount',
    factory: () => budget({ id: 'trial', amount: '-3' }),
  },
  {
    option: 'a budget without its amount',
    config: { pools: { trial: { kind: 'budget' } } },
    path: 'pools.trial.amount',
    factory: () => budget({ id: 'trial' } as never),
  },
  {
    option: 'a budget period that is not one',
    config: { pools: { daily: { kind: 'budget', amount: '5', period: 'fortnight' } } },
    path: 'pools.daily.period',
    factory: () => budget({ id: 'daily', amount: '5', period: 'fortnight' as never }),
  },
  {
    option: 'a pay-as-you-go cap that is not an amount',
    config: { pools: { org: { kind: 'payAsYouGo', monthlyCap: 'lots' } } },
    path: 'pools.org.monthlyCap',
    factory: () => payAsYouGo({ id: 'org', monthlyCap: 'lots' }),
  },
  {
    option: 'a credits monthly limit that is not an amount',
    config: { pools: { credits: { kind: 'credits', monthlyLimit: 'plenty' } } },
    path: 'pools.credits.monthlyLimit',
    factory: () => credits({ id: 'credits', provider: manualProvider(), monthlyLimit: 'plenty' }),
  },
  {
    option: 'an API key variable that is not a variable name',
    config: { strategies: { key: { kind: 'apiKey', envVar: 'MY KEY' } } },
    path: 'strategies.key.envVar',
    factory: () => apiKey({ id: 'key', envVar: 'MY KEY' }),
  },
  {
    option: 'a time zone that is not one',
    config: { timeZone: 'Mars/Olympus' },
    path: 'timeZone',
    factory: () => createHub({ timeZone: 'Mars/Olympus' }),
  },
  {
    option: 'a hold lifetime of zero',
    config: { holdTtlMs: 0 },
    path: 'holdTtlMs',
    factory: () => createHub({ holdTtlMs: 0 }),
  },
  {
    option: 'an empty SQLite file name',
    config: { store: { kind: 'sqlite', file: '' } },
    path: 'store.file',
    factory: () => sqliteStore({ file: '' }),
  },
  {
    option: 'a PostgreSQL schema with capitals, which PostgreSQL would fold to lower case',
    config: { store: { kind: 'postgres', connectionString: 'postgres://u@h:5432/db', schema: 'Drawdown' } },
    path: 'store.schema',
    factory: () => postgresStore({ connectionString: 'postgres://u@h:5432/db', schema: 'Drawdown' }),
  },
  {
    option: 'a PostgreSQL connection string that is not a URL',
    config: { store: { kind: 'postgres', connectionString: 'db.example.com' } },
    path: 'store.connectionString',
    factory: () => postgresStore({ connectionString: 'db.example.com' }),
  },
  {
    option: 'an unknown-model policy that is not one',
    config: { rateCard: { unknownModel: 'shrug' } },
    path: 'rateCard.unknownModel',
    factory: () => createRateCard({ unknownModel: 'shrug' as never }),
  },
  {
    option: 'an unknown-model policy pricing as a model the card does not price',
    config: { rateCard: { unknownModel: { priceAs: 'claude-nope' } } },
    path: 'rateCard.unknownModel.priceAs',
    factory: () => createRateCard({ unknownModel: { priceAs: 'claude-nope' } }),
  },
  {
    option: 'a reconcile source that is not one',
    config: { pools: { api: { kind: 'payAsYouGo' } }, reconcile: { keys: { api: 'apikey_01' }, source: 'legacy' } },
    path: 'reconcile.source',
    factory: () =>
      reconcile({ ...range, keys: { api: 'apikey_01' }, adminKey: 'k', bucket: '1h', source: 'legacy' as never }),
  },
  {
    option: 'a reconcile key id left empty',
    config: { pools: { api: { kind: 'payAsYouGo' } }, reconcile: { keys: { api: ' ' } } },
    path: 'reconcile.keys.api',
    factory: () => reconcile({ ...range, keys: { api: ' ' }, adminKey: 'k', bucket: '1h' }),
  },
];

describe.concurrent('config check and the library refuse an option by the same rule', () => {
  it.each(cases)('$option: the problem and its fix are the factory’s own', async ({ config, path, factory }) => {
    const error = await refusal(factory);
    const problems = await configProblems({ store: memory, ...config });
    const problem = problems.find((p) => p.path === path);
    expect(problem, JSON.stringify(problems)).toEqual({ path, message: error.data.problem, hint: error.data.fix });
    expect(path.endsWith(error.data.field)).toBe(true);
    // Worded from code, the same problem and fix make the factory's whole message.
    expect(invalidOption(error.data.owner, error.data.field, problem!.message, problem!.hint!).message).toBe(
      error.message,
    );
  });

  it('accepts what the factories accept: "error" as the unknown-model policy, a lower-case schema', async () => {
    expect(createRateCard({ unknownModel: 'error' }).unknownModel).toBe('refuse');
    expect(
      await configProblems({
        store: { kind: 'postgres', connectionString: 'postgres://u@h:5432/db', schema: 'drawdown_2' },
        rateCard: { unknownModel: 'error' },
      }),
    ).toEqual([]);
  });

  it('reports every bad option of the file in one pass, each at its path', async () => {
    const problems = await configProblems({
      timeZone: 'Mars/Olympus',
      holdTtlMs: -1,
      store: { kind: 'sqlite', file: '' },
      strategies: { key: { kind: 'apiKey', envVar: '1X' } },
      pools: { trial: { kind: 'budget', amount: '0' }, daily: { kind: 'budget', amount: '5', lowAt: 3 } },
      rateCard: { unknownModel: 'shrug' },
    });
    expect(problems.map((p) => p.path).sort()).toEqual([
      'holdTtlMs',
      'pools.daily.lowAt',
      'pools.trial.amount',
      'rateCard.unknownModel',
      'store.file',
      'strategies.key.envVar',
      'timeZone',
    ]);
    for (const p of problems) expect(p.hint, p.path).toMatch(/^(Use|Write|Name)/);
  });
});
