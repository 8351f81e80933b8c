import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { usd } from '@drawdown/core';
import { trialConfig, useProject } from './project.js';
import { runDrawdown, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

describe.concurrent('drawdown status', () => {
  it('shows each pool with a usage bar, spend, what is left, caps, reset time and the active route entry', async () => {
    const project = useProject(trialConfig);
    // Another process spends $0.40 of the $1 trial through the same SQLite ledger.
    await project.withHub(async (hub) => {
      await hub.charge({ requestId: 'msg_1', entry: 'trial', model: 'claude-sonnet-4-5', cost: usd('0.40') });
    });
    const result = await runDrawdown(['status'], { cwd: project.dir });
    expect(unwrapped(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const trial = lines.find((l) => l.startsWith('trial '))!;
    expect(trial).toMatch(/^trial\s+available\s+█{4}░{6}\s+40%\s+\$0\.40\s+\$0\.60\s+—\s+▶ trial$/);
    // Each limit the pool enforces is listed under it.
    expect(lines[lines.indexOf(trial) + 1]).toBe('  ↳ trial: $0.40 of $1.00');
    const daily = lines.find((l) => l.startsWith('daily '))!;
    expect(daily).toMatch(/available\s+░{10}\s+0%\s+\$0\.00\s+\$5\.00\s+\w{3} \d+, 12am\s+daily$/);
    expect(lines[lines.indexOf(daily) + 1]).toMatch(/^ {2}↳ daily budget: \$0\.00 of \$5\.00, resets \w{3} \d+, 12am$/);
    expect(result.stdout).toContain('Next request: trial (bundled → trial). When it runs out, daily pays');
    expect(result.stdout).toContain(`sqlite ${project.dir}/ledger.sqlite`);
  });

  it('marks a spent trial as left for good and the next entry as active', async () => {
    const project = useProject(trialConfig);
    await project.withHub(async (hub) => {
      await hub.charge({ requestId: 'msg_1', entry: 'trial', cost: usd('1.00') });
    });
    const result = await runInProcess(['status'], { cwd: project.dir });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').find((l) => l.startsWith('trial '))).toMatch(
      /exhausted\s+█{10}\s+100%\s+\$1\.00\s+\$0\.00/,
    );
    expect(result.stdout.split('\n').find((l) => l.startsWith('daily '))).toMatch(/▶ daily$/);
    expect(result.stdout).toContain('Next request: daily');
  });

  it('prints JSON where every amount also has an exact decimal string', async () => {
    const project = useProject(trialConfig);
    await project.withHub((hub) => hub.charge({ requestId: 'msg_1', entry: 'trial', cost: usd('0.0735') }));
    const result = await runInProcess(['status', '--json'], { cwd: project.dir });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      timeZone: string;
      pools: Array<Record<string, unknown>>;
      route: { next: { entryId: string } };
    };
    const trial = json.pools.find((p) => p.id === 'trial')!;
    expect(trial).toMatchObject({
      spent: 73_500_000,
      spentUsd: '0.0735',
      remainingUsd: '0.9265',
      limitUsd: '1',
      state: 'available',
    });
    expect(json.route.next.entryId).toBe('trial');
    expect(json.timeZone).toBe('UTC');
  });

  it('never prints the key of a strategy, in the table or the JSON', async () => {
    const project = useProject(trialConfig);
    const env = { APP_TRIAL_KEY: 'sk-ant-secret-value-123' };
    const table = await runInProcess(['status'], { cwd: project.dir, env });
    const json = await runInProcess(['status', '--json'], { cwd: project.dir, env });
    expect(table.code).toBe(0);
    expect(json.code).toBe(0);
    expect(table.stdout + table.stderr + json.stdout + json.stderr).not.toContain('sk-ant-secret-value-123');
  });

  it('without any configuration, exits 0 with the zero-configuration view instead of failing', async () => {
    const project = useProject({}, 'unrelated.json');
    const result = await runInProcess(['status'], {
      cwd: project.dir,
      env: { XDG_CONFIG_HOME: project.dir, HOME: project.dir, CLAUDE_CONFIG_DIR: undefined },
    });
    expect(result.code).toBe(0);
    expect(unwrapped(result.stderr)).toBe('');
    expect(result.stdout).toContain('No Claude Code session logs found');
    expect(result.stdout).toContain('No drawdown configuration yet');
  });

  it('fits 80 columns, and shows the 20-cell meter on a wide terminal', async () => {
    const project = useProject(trialConfig);
    await project.withHub((hub) => hub.charge({ requestId: 'msg_1', entry: 'trial', cost: usd('0.40') }));
    const narrow = await runInProcess(['status'], { cwd: project.dir, env: { COLUMNS: '80' } });
    for (const line of narrow.stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    const wide = await runInProcess(['status'], { cwd: project.dir, env: { COLUMNS: '160' } });
    expect(wide.stdout).toMatch(/^trial\s+budget\s+available\s+█{8}░{12}\s+40%/m);
  });

  it('fails with one line naming the first problem and a hint when the configuration is invalid', async () => {
    const project = useProject({ ...trialConfig, pools: { trial: { kind: 'budget', amount: 'ten' } } } as never);
    const result = await runInProcess(['status'], { cwd: project.dir });
    expect(result.code).not.toBe(0);
    const lines = unwrapped(result.stderr).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/pools\.trial\.amount is "ten", not a USD amount.*\(and 1 more\)/);
    expect(lines[1]).toBe('hint: Run "drawdown config check" to see every problem with its field path.');
  });

  it('refuses an empty ledger file, leaving it empty, with a hint that does not send the user to the store settings', async () => {
    const project = useProject(trialConfig);
    writeFileSync(`${project.dir}/ledger.sqlite`, '');
    const result = await runInProcess(['status'], { cwd: project.dir });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    const lines = unwrapped(result.stderr).trim().split('\n');
    expect(lines[0]).toMatch(
      /^drawdown: .*ledger\.sqlite exists but holds no drawdown ledger.*\(DRAWDOWN_STORE_INCOMPATIBLE\)$/,
    );
    expect(lines[1]).toMatch(/^hint: The file was left as it is\. Restore the ledger from a backup/);
    const json = await runInProcess(['status', '--json'], { cwd: project.dir });
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr)).toMatchObject({
      code: 'DRAWDOWN_STORE_INCOMPATIBLE',
      hint: expect.stringContaining('Restore the ledger from a backup'),
    });
    expect(readFileSync(`${project.dir}/ledger.sqlite`)).toHaveLength(0);
  });

  it('uses the ledger named by DRAWDOWN_DB over the one in the file', async () => {
    const project = useProject(trialConfig);
    const other = `${project.dir}/other.sqlite`;
    await project.withHub((hub) => hub.charge({ requestId: 'msg_1', entry: 'trial', cost: usd('0.25') }), {
      DRAWDOWN_DB: other,
    });
    const result = await runInProcess(['status', '--json'], { cwd: project.dir, env: { DRAWDOWN_DB: other } });
    expect(result.code).toBe(0);
    expect(
      (JSON.parse(result.stdout) as { pools: Array<{ id: string; spentUsd: string }> }).pools.find(
        (p) => p.id === 'trial',
      )!.spentUsd,
    ).toBe('0.25');
    const fileLedger = await runInProcess(['status', '--json'], { cwd: project.dir });
    expect(
      (JSON.parse(fileLedger.stdout) as { pools: Array<{ id: string; spentUsd: string }> }).pools.find(
        (p) => p.id === 'trial',
      )!.spentUsd,
    ).toBe('0');
  });
  it('adds a forecast line per pool, marked as such with the rate it assumes, within 80 columns', async () => {
    const project = useProject(trialConfig);
    // Another process recorded $0.01 every ten minutes over the last hour.
    await project.withHub(async (hub) => {
      const now = Date.now();
      for (let i = 6; i >= 1; i--) {
        const at = now - i * 10 * 60_000;
        await hub.store.settle({
          account: 'trial',
          key: `msg_${i}`,
          cost: usd('0.01'),
          now: at,
          scopes: [],
          day: new Date(at).toISOString().slice(0, 10),
        });
      }
    });
    const result = await runInProcess(['status'], { cwd: project.dir, env: { COLUMNS: '80' } });
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines).toContain('Forecast (projected from recent use, not a promise)');
    expect(lines.find((l) => l.startsWith('  trial '))).toMatch(
      /^ {2}trial {2}runs out in \d+h( \d+m)? · \$0\.0\d\/h, last (hours|days)$/,
    );
    expect(lines.find((l) => l.startsWith('  daily '))).toBe(
      '  daily  not enough data: 0 charges in 7 days, a rate needs 3 over 15m',
    );
    const json = await runInProcess(['status', '--json'], { cwd: project.dir });
    const trial = (
      JSON.parse(json.stdout) as { pools: Array<{ id: string; forecast: Record<string, unknown> }> }
    ).pools.find((p) => p.id === 'trial')!;
    expect(trial.forecast).toMatchObject({
      forecast: true,
      basis: 'projected',
      rate: { window: expect.stringMatching(/^last (hours|days)$/), perHourUsd: expect.stringMatching(/^0\.0\d+$/) },
      exhaustsAtIso: expect.any(String),
    });
  });
});
