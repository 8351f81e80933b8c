import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { usd } from '@drawdown/core';
import type { DrawdownConfig } from '../src/config/types.js';
import { useProject } from './project.js';
import { runDrawdown, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

const agent = fileURLToPath(new URL('./fixtures/agent.mjs', import.meta.url));

const config: DrawdownConfig = {
  timeZone: 'UTC',
  store: { kind: 'sqlite', file: 'ledger.sqlite' },
  strategies: { bundled: { kind: 'apiKey', envVar: 'APP_TRIAL_KEY' }, 'claude-login': { kind: 'delegated' } },
  pools: { trial: { kind: 'budget', amount: '10' }, plan: { kind: 'planAllowance' } },
  route: [
    { id: 'trial', strategy: 'bundled', pool: 'trial' },
    { id: 'personal', strategy: 'claude-login', pool: 'plan' },
  ],
};
const env = {
  APP_TRIAL_KEY: 'sk-ant-bundled-trial-key-9f3a',
  ANTHROPIC_API_KEY: 'sk-ant-users-own-key-77aa',
  ANTHROPIC_AUTH_TOKEN: 'tok-xyz',
};

const initLine = (stdout: string) =>
  JSON.parse(stdout.split('\n')[0]!) as { credentials: string[]; keyTail: string | null };

// Nine CLI runs at once, each starting a child: budgets for a loaded machine.
describe.concurrent('drawdown run', { timeout: 180_000 }, () => {
  it('starts a personal-mode child with no API key or auth token in its environment and meters its turns to the plan', async () => {
    const project = useProject(config);
    const result = await runDrawdown(['run', '--route', 'personal', '--', process.execPath, agent, '0', '2'], {
      cwd: project.dir,
      env,
    });
    expect(result.code).toBe(0);
    expect(initLine(result.stdout).credentials).toEqual([]);
    // The child's output reaches stdout unchanged, non-JSON lines included.
    expect(result.stdout).toContain('plain text line the meter skips');
    expect(result.stdout.trim().split('\n')).toHaveLength(4);
    expect(unwrapped(result.stderr)).toContain('drawdown: 2 turns charged $0.09 to plan (route personal)');
    const report = await runInProcess(['report', '--by', 'pool,route', '--json'], { cwd: project.dir });
    expect(JSON.parse(report.stdout)).toMatchObject({
      totalUsd: '0.09',
      rows: [{ pool: 'plan', route: 'personal', requests: 2, inputTokens: 20_000, outputTokens: 2_000 }],
    });
  });

  it("gives a trial child the bundled key, not the user's own, and charges the trial budget", async () => {
    const project = useProject(config);
    const result = await runDrawdown(['run', '--route', 'trial', '--', process.execPath, agent, '0', '1'], {
      cwd: project.dir,
      env,
    });
    expect(result.code).toBe(0);
    expect(initLine(result.stdout)).toEqual(
      expect.objectContaining({ credentials: ['ANTHROPIC_API_KEY'], keyTail: '9f3a' }),
    );
    const status = await runInProcess(['status', '--json'], { cwd: project.dir, env });
    expect(
      (JSON.parse(status.stdout) as { pools: Array<{ id: string; spentUsd: string }> }).pools.find(
        (p) => p.id === 'trial',
      )!.spentUsd,
    ).toBe('0.045');
    expect(status.stdout).not.toContain('sk-ant-bundled-trial-key-9f3a');
  });

  it("passes the child's exit code through", async () => {
    const project = useProject(config);
    const result = await runDrawdown(['run', '--route', 'personal', '--', process.execPath, agent, '7', '0'], {
      cwd: project.dir,
      env,
    });
    expect(result.code).toBe(7);
  });

  it('charges a turn once even when the same session output is metered twice', async () => {
    const project = useProject(config);
    await runDrawdown(['run', '--route', 'personal', '--', process.execPath, agent, '0', '2'], {
      cwd: project.dir,
      env,
    });
    const second = await runDrawdown(['run', '--route', 'personal', '--', process.execPath, agent, '0', '2'], {
      cwd: project.dir,
      env,
    });
    expect(second.code).toBe(0);
    // Turns that add no spend are not announced as "charged $0.00".
    expect(unwrapped(second.stderr)).toBe('drawdown: nothing charged to plan: 2 turns reported no new spend\n');
    const report = await runInProcess(['report', '--by', 'pool', '--json'], { cwd: project.dir });
    expect(JSON.parse(report.stdout)).toMatchObject({ totalUsd: '0.09' });
  });

  it('leaves stdout untouched and charges nothing with --no-meter', async () => {
    const project = useProject(config);
    const result = await runDrawdown(
      ['run', '--route', 'personal', '--no-meter', '--', process.execPath, agent, '0', '1'],
      { cwd: project.dir, env },
    );
    expect(result.code).toBe(0);
    expect(unwrapped(result.stderr)).toBe('');
    const report = await runInProcess(['report', '--json'], { cwd: project.dir });
    expect(JSON.parse(report.stdout)).toMatchObject({ totalUsd: '0', rows: [] });
  });

  it('fails with one line and a hint for an unknown route entry, a missing program, or no command', async () => {
    const project = useProject(config);
    const unknown = await runInProcess(['run', '--route', 'company', '--', process.execPath, agent], {
      cwd: project.dir,
      env,
    });
    expect(unknown.code).not.toBe(0);
    expect(unwrapped(unknown.stderr)).toMatch(
      /^drawdown: no route entry "company"; the route has "trial", "personal" \(DRAWDOWN_UNKNOWN_REFERENCE\)\nhint: Run "drawdown which"/,
    );
    const missing = await runInProcess(['run', '--route', 'personal', '--', 'no-such-agent-binary'], {
      cwd: project.dir,
      env,
    });
    expect(missing.code).not.toBe(0);
    expect(unwrapped(missing.stderr)).toMatch(
      /^drawdown: cannot start "no-such-agent-binary": no such program on PATH \(DRAWDOWN_CLI_SPAWN_FAILED\)\nhint: /,
    );
    const none = await runInProcess(['run', '--route', 'personal'], { cwd: project.dir, env });
    expect(none.code).not.toBe(0);
    expect(unwrapped(none.stderr)).toMatch(/^drawdown: missing required argument 'command'/);
  });

  it('refuses a trial child when the bundled key is not set, naming the variable', async () => {
    const project = useProject(config);
    const result = await runInProcess(['run', '--route', 'trial', '--', process.execPath, agent], {
      cwd: project.dir,
      env: { APP_TRIAL_KEY: undefined },
    });
    expect(result.code).not.toBe(0);
    expect(unwrapped(result.stderr)).toMatch(
      /^drawdown: strategy "bundled" cannot start a child: APP_TRIAL_KEY is not set\. \(DRAWDOWN_AUTH_UNAVAILABLE\)\nhint: /,
    );
  });

  it('still runs an entry asked for by name whose pool is spent, with a note on stderr', async () => {
    const project = useProject(config);
    await project.withHub((hub) => hub.charge({ requestId: 'spent', entry: 'trial', cost: usd('10') }));
    const result = await runDrawdown(
      ['run', '--route', 'trial', '--no-meter', '--', process.execPath, agent, '0', '0'],
      { cwd: project.dir, env },
    );
    expect(result.code).toBe(0);
    expect(unwrapped(result.stderr)).toMatch(
      /^drawdown: note: pool "trial" is exhausted \(trial budget of \$10\.00 used\); the child may be refused\n$/,
    );
  });
});
