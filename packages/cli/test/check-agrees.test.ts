import { describe, expect, it } from 'vitest';
import type { DrawdownConfig } from '../src/config/types.js';
import { trialConfig, useProject } from './project.js';
import { runDrawdown } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

interface Problem {
  path: string;
  message: string;
}

const base = { ...trialConfig, store: { kind: 'memory' } } as DrawdownConfig;
/** Broken configurations, each with the fields `config check` must name (all of them, in one pass). */
const broken: Array<{ name: string; config: unknown; paths: string[] }> = [
  {
    name: 'a structural error and bad pool options together',
    config: { ...base, colour: 'blue', pools: { ...base.pools, daily: { kind: 'budget', amount: '5', lowAt: 7 } } },
    paths: ['colour', 'pools.daily.lowAt'],
  },
  {
    name: 'several bad options in one pool, and bad options in a second pool',
    config: {
      ...base,
      pools: {
        trial: { kind: 'budget', amount: '1', lowAt: 7, alertsAt: 'often' },
        daily: { kind: 'budget', amount: '5', period: 'day', lowAt: -1 },
      },
    },
    paths: ['pools.trial.lowAt', 'pools.trial.alertsAt', 'pools.daily.lowAt'],
  },
  {
    name: 'a rate card override that is not a price',
    config: { ...base, rateCard: { overrides: [{ model: 'my-model', inputPerMTok: 'cheap' }] } },
    paths: ['rateCard'],
  },
  {
    name: 'a rate card that is not a list',
    config: { ...base, rateCard: { overrides: 'none' } },
    paths: ['rateCard'],
  },
  {
    name: 'a route naming a missing pool',
    config: { ...base, route: [{ id: 'trial', strategy: 'bundled', pool: 'nope' }] },
    paths: ['route[0].pool'],
  },
];

describe.concurrent('config check accepts exactly what status accepts', () => {
  it.each(broken)('$name: both refuse, with the same problems', async ({ config, paths }) => {
    const project = useProject(config as DrawdownConfig);
    const check = await runDrawdown(['config', 'check', '--json'], { cwd: project.dir });
    expect(check.code).toBe(1);
    const checked = JSON.parse(check.stdout) as { ok: boolean; problems: Problem[] };
    expect(checked.ok).toBe(false);
    for (const p of paths)
      expect(
        checked.problems.map((q) => q.path).some((q) => q === p || q.startsWith(`${p}.`) || q.startsWith(`${p}[`)),
        `${p} in ${JSON.stringify(checked.problems)}`,
      ).toBe(true);
    const status = await runInProcess(['status', '--json'], { cwd: project.dir });
    expect(status.code).toBe(1);
    expect(status.stdout).toBe('');
    const refused = JSON.parse(status.stderr) as { code: string; problems: Problem[] };
    expect(refused.code).toBe('DRAWDOWN_CLI_INVALID_CONFIG');
    expect(refused.problems).toEqual(checked.problems);
  });

  it('a valid configuration passes both', async () => {
    const project = useProject(base);
    const env = { APP_TRIAL_KEY: 'sk-ant-agrees' };
    const check = await runInProcess(['config', 'check', '--json'], { cwd: project.dir, env });
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, problems: [] });
    const status = await runInProcess(['status', '--json'], { cwd: project.dir, env });
    expect(status.code).toBe(0);
  });

  it('a key variable that is unset is a problem of the check, named by its strategy', async () => {
    const project = useProject(base);
    const check = await runInProcess(['config', 'check', '--json'], {
      cwd: project.dir,
      env: { APP_TRIAL_KEY: undefined },
    });
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout)).toMatchObject({
      ok: false,
      problems: [{ path: 'strategies.bundled', message: 'APP_TRIAL_KEY is not set' }],
    });
  });

  it('prints the problems table within 80 columns', async () => {
    const project = useProject(broken[1]!.config as DrawdownConfig);
    const result = await runInProcess(['config', 'check'], { cwd: project.dir, env: { COLUMNS: '80' } });
    expect(result.stdout).toContain('3 problems');
    for (const line of result.stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
  });
});
