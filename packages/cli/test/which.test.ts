import { describe, expect, it } from 'vitest';
import { usd } from '@drawdown/core';
import { trialConfig, useProject } from './project.js';
import { runDrawdown, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

describe.concurrent('drawdown which', () => {
  it('names the entry the next request uses and why, and what follows it', async () => {
    const project = useProject(trialConfig);
    const result = await runDrawdown(['which'], { cwd: project.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/▶\s+trial\s+bundled → trial\s+next\s+\$1\.00 of \$1\.00 trial left/);
    expect(result.stdout).toContain('Next request: trial (bundled → trial). When it runs out, daily pays');
  });

  it('explains the switch once the trial is spent', async () => {
    const project = useProject(trialConfig);
    await project.withHub((hub) => hub.charge({ requestId: 'r1', entry: 'trial', cost: usd('1') }));
    const result = await runInProcess(['which', '--json'], { cwd: project.dir });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      next: { entryId: string; reason: string };
      entries: Array<{ entryId: string; state: string }>;
    };
    expect(json.next.entryId).toBe('daily');
    expect(json.next.reason).toMatch(/^trial: trial of \$1\.00 used/);
    expect(json.entries.map((e) => [e.entryId, e.state])).toEqual([
      ['trial', 'exhausted'],
      ['daily', 'next'],
    ]);
  });

  it('says the next request is refused, and why, when no entry can pay', async () => {
    const project = useProject({ ...trialConfig, route: [trialConfig.route![0]!] });
    await project.withHub((hub) => hub.charge({ requestId: 'r1', entry: 'trial', cost: usd('1') }));
    const result = await runInProcess(['which'], { cwd: project.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Next request is refused: no route entry can pay: trial: trial of $1.00 used.');
  });

  it('fails with a hint when the configuration has no route', async () => {
    const project = useProject({ ...trialConfig, route: undefined } as never);
    const result = await runInProcess(['which'], { cwd: project.dir });
    expect(result.code).not.toBe(0);
    expect(unwrapped(result.stderr)).toMatch(/^drawdown: no route is configured.*\nhint: Add a "route" list/);
  });
});
