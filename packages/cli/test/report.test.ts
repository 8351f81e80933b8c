import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usd } from '@drawdown/core';
import { makeProject, trialConfig, type Project } from './project.js';
import { runDrawdown, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

let project: Project;
let today: string;

beforeAll(async () => {
  project = makeProject(trialConfig);
  today = new Date().toISOString().slice(0, 10);
  await project.withHub(async (hub) => {
    await hub.charge({
      requestId: 'msg_1',
      entry: 'trial',
      model: 'claude-sonnet-4-5',
      usage: { input_tokens: 100_000, output_tokens: 10_000 },
    }); // $0.30 + $0.15
    await hub.charge({
      requestId: 'msg_2',
      entry: 'trial',
      model: 'claude-haiku-4-5',
      usage: { input_tokens: 50_000, output_tokens: 2_000, cache_read_input_tokens: 10_000 },
    }); // $0.05 + $0.01 + $0.001
    await hub.charge({ requestId: 'msg_3', entry: 'daily', model: 'claude-sonnet-4-5', cost: usd('0.2') });
  });
});
afterAll(() => project.remove());

describe.concurrent('drawdown report', () => {
  it('charts spend per day across the range and totals it in a table', async () => {
    const result = await runDrawdown(['report', '--days', '3'], { cwd: project.dir });
    expect(unwrapped(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^Spend by day, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2} \(UTC\)$/);
    // Three days in the chart: two empty days, then today with the whole bar.
    const chart = lines.filter((l) => l.includes('│'));
    expect(chart).toHaveLength(3);
    expect(chart[2]).toMatch(new RegExp(`^${today} │█{10,}\\s+\\$0\\.71\\s+3 req$`));
    expect(chart[0]).toMatch(/│\s+\$0\.00\s+0 req$/);
    expect(lines.find((l) => l.startsWith('Total'))).toMatch(/3\s+150,000\s+12,000\s+10,000\s+\$0\.71$/);
  });

  it('groups by model with bars proportional to cost', async () => {
    const result = await runInProcess(['report', '--by', 'model'], { cwd: project.dir });
    expect(result.code).toBe(0);
    const chart = result.stdout.split('\n').filter((l) => l.includes('│'));
    const sonnet = chart.find((l) => l.startsWith('claude-sonnet-4-5'))!;
    const haiku = chart.find((l) => l.startsWith('claude-haiku-4-5'))!;
    expect(sonnet).toMatch(/\$0\.65\s+2 req$/);
    expect(haiku).toMatch(/\$0\.06\s+1 req$/);
    const length = (line: string) => (line.split('│')[1]!.match(/[█▏▎▍▌▋▊▉]/g) ?? []).length;
    expect(length(sonnet)).toBeGreaterThan(length(haiku) * 5);
  });

  it('prints CSV with exact decimal costs, one row per pool', async () => {
    const result = await runInProcess(['report', '--by', 'pool', '--csv'], { cwd: project.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'pool,requests,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd\r\n' +
        'daily,1,0,0,0,0,0.2\r\n' +
        'trial,2,150000,12000,10000,0,0.511\r\n',
    );
  });

  it('prints JSON with an exact total and rows grouped by route and model', async () => {
    const result = await runInProcess(['report', '--by', 'route,model', '--json', '--from', today, '--to', today], {
      cwd: project.dir,
    });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      totalUsd: string;
      groupBy: string[];
      rows: Array<{ route: string; model: string; costUsd: string }>;
    };
    expect(json.totalUsd).toBe('0.711');
    expect(json.groupBy).toEqual(['route', 'model']);
    expect(json.rows.map((r) => [r.route, r.model, r.costUsd])).toEqual([
      ['daily', 'claude-sonnet-4-5', '0.2'],
      ['trial', 'claude-haiku-4-5', '0.061'],
      ['trial', 'claude-sonnet-4-5', '0.45'],
    ]);
  });

  it('says so when nothing was charged in the range', async () => {
    const result = await runInProcess(['report', '--from', '2020-01-01', '--to', '2020-01-31'], { cwd: project.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No requests were charged in this range.');
  });

  it('refuses an unknown dimension, a malformed date and a reversed range with a hint', async () => {
    const by = await runInProcess(['report', '--by', 'weekday'], { cwd: project.dir });
    expect(by.code).not.toBe(0);
    expect(unwrapped(by.stderr)).toMatch(
      /^drawdown: --by "weekday" is not a report dimension \(DRAWDOWN_CLI_INVALID_ARGUMENT\)\nhint: Use one or more of day, model, pool, route/,
    );
    const date = await runInProcess(['report', '--from', '23/11/2026'], { cwd: project.dir });
    expect(date.code).not.toBe(0);
    expect(unwrapped(date.stderr)).toMatch(/^drawdown: --from "23\/11\/2026" is not a date/);
    const reversed = await runInProcess(['report', '--from', '2026-02-01', '--to', '2026-01-01'], { cwd: project.dir });
    expect(reversed.code).not.toBe(0);
    expect(unwrapped(reversed.stderr)).toMatch(/^drawdown: --from 2026-02-01 is after --to 2026-01-01/);
    const both = await runInProcess(['report', '--json', '--csv'], { cwd: project.dir });
    expect(both.code).not.toBe(0);
    // Asked for JSON, the error is JSON too.
    expect(JSON.parse(both.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
      message: expect.stringMatching(/^option '--json' cannot be used with option '--csv'/),
    });
  });
});
