import { describe, expect, it } from 'vitest';
import { profiles } from '../src/config/starter.js';
import type { DrawdownConfig } from '../src/config/types.js';
import { trialConfig, useProject } from './project.js';
import { runInProcess as runDrawdown } from './run-in-process.js';
import { unwrapped } from './run-cli.js';

/** The desktop-app profile as `config init` writes it, with its ledger in the project. */
const desktopApp: DrawdownConfig = {
  ...profiles['desktop-app'].config({ timeZone: 'UTC' }),
  store: { kind: 'sqlite', file: 'ledger.sqlite' },
};
const env = { MYAPP_TRIAL_KEY: 'sk-ant-trial', ANTHROPIC_API_KEY: 'sk-ant-own', COLUMNS: '80' };
const lastJson = (stderr: string) => JSON.parse(stderr.trim().split('\n').at(-1)!) as Record<string, unknown>;

describe.concurrent('drawdown credits', () => {
  it('opts in and adds funds after a yes, so the credits entry can pay', async () => {
    const project = useProject(desktopApp);
    const optIn = await runDrawdown(['credits', 'opt-in', '--json'], { cwd: project.dir, env, input: 'y\n' });
    expect(optIn.code, optIn.stderr).toBe(0);
    expect(unwrapped(optIn.stderr)).toContain('Let the route draw "credits" (entry "credits")');
    expect(JSON.parse(optIn.stdout)).toMatchObject({ entryId: 'credits', poolId: 'credits', optedIn: true });
    const add = await runDrawdown(['credits', 'add', '25'], { cwd: project.dir, env, input: 'yes\n' });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr.replace(/\s+/g, ' ')).toContain('Add $25.00 to "credits"? Your payment method is charged now.');
    expect(add.stdout).toMatch(/^credits: \$25\.00 added\./);
    for (const line of (add.stdout + add.stderr).split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    const which = await runDrawdown(['which', '--json'], { cwd: project.dir, env });
    const route = JSON.parse(which.stdout) as { entries: Array<{ entryId: string; state: string }> };
    expect(route.entries.find((e) => e.entryId === 'credits')?.state).toBe('standby');
    const status = await runDrawdown(['status', '--json'], { cwd: project.dir, env });
    const pools = (JSON.parse(status.stdout) as { pools: Array<{ id: string; remainingUsd: string }> }).pools;
    expect(pools.find((p) => p.id === 'credits')?.remainingUsd).toBe('25');
  });

  it('changes nothing without a yes, and says how to confirm', async () => {
    const project = useProject(desktopApp);
    const declined = await runDrawdown(['credits', 'add', '10', '--json'], { cwd: project.dir, env, input: 'n\n' });
    expect(declined.code).toBe(1);
    expect(declined.stdout).toBe('');
    expect(lastJson(declined.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_NOT_CONFIRMED',
      message: 'not confirmed; nothing was changed',
      hint: expect.stringContaining('--yes'),
    });
    const unanswered = await runDrawdown(['credits', 'opt-in'], { cwd: project.dir, env });
    expect(unanswered.code).toBe(1);
    expect(unwrapped(unanswered.stderr)).toMatch(/drawdown: no answer to the confirmation; nothing was changed/);
    const status = await runDrawdown(['status', '--json'], { cwd: project.dir, env });
    const parsed = JSON.parse(status.stdout) as {
      pools: Array<{ id: string; remainingUsd: string }>;
      route: { entries: Array<{ entryId: string; state: string }> };
    };
    expect(parsed.pools.find((p) => p.id === 'credits')?.remainingUsd).toBe('0');
    expect(parsed.route.entries.find((e) => e.entryId === 'credits')?.state).toBe('needs-opt-in');
  });

  it('sets auto-reload with --yes, and refuses an incomplete policy naming the flags', async () => {
    const project = useProject(desktopApp);
    const incomplete = await runDrawdown(['credits', 'auto-reload', '--threshold', '5', '--yes', '--json'], {
      cwd: project.dir,
      env,
    });
    expect(incomplete.code).toBe(1);
    expect(lastJson(incomplete.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
      message: expect.stringContaining('exactly one of --amount'),
      hint: expect.stringContaining('--threshold'),
    });
    const on = await runDrawdown(
      ['credits', 'auto-reload', '--threshold', '5', '--amount', '20', '--monthly-limit', '100', '--yes', '--json'],
      { cwd: project.dir, env },
    );
    expect(on.code, on.stderr).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({
      poolId: 'credits',
      autoReload: { thresholdUsd: '5', amountUsd: '20', monthlyLimitUsd: '100' },
    });
    const zero = await runDrawdown(['credits', 'add', '0', '--yes', '--json'], { cwd: project.dir, env });
    expect(lastJson(zero.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
      argument: 'amount',
      message: 'amount must be more than zero; got "0".',
    });
  });

  it('names what is missing when the configuration has no credits pool or opt-in entry', async () => {
    const project = useProject(trialConfig);
    const trialEnv = { APP_TRIAL_KEY: 'sk-ant-trial' };
    const add = await runDrawdown(['credits', 'add', '5', '--yes', '--json'], { cwd: project.dir, env: trialEnv });
    expect(add.code).toBe(1);
    expect(lastJson(add.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_UNKNOWN_NAME',
      message: 'no pool of this configuration takes funds (only a credits pool does)',
      hint: expect.stringContaining('--profile desktop-app'),
    });
    const named = await runDrawdown(['credits', 'add', '5', '--pool', 'trial', '--yes', '--json'], {
      cwd: project.dir,
      env: trialEnv,
    });
    expect(lastJson(named.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_UNKNOWN_NAME',
      message: expect.stringContaining('pool "trial" (budget) cannot take funds'),
    });
    const optIn = await runDrawdown(['credits', 'opt-in', '--yes', '--json'], { cwd: project.dir, env: trialEnv });
    expect(lastJson(optIn.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
      message: 'no route entry waits for an opt-in',
    });
  });
});
