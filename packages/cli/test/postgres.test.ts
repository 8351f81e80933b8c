import { describe, expect, it } from 'vitest';
import { usd } from '@drawdown/core';
import { trialConfig, useProject } from './project.js';
import { runDrawdown } from './run-cli.js';
import { runInProcess } from './run-in-process.js';
import { postgresAvailable, postgresUrl } from '../../../test-support/services.js';

const reachable = await postgresAvailable("the CLI's PostgreSQL test");
const url = postgresUrl;

describe.skipIf(!reachable)('drawdown with a PostgreSQL ledger', () => {
  it('shows spend recorded by another process through the shared PostgreSQL store, with the password redacted', async () => {
    const schema = `cli_${process.pid}_${Date.now()}`;
    const withPassword = url.replace('postgres://postgres@', 'postgres://postgres:hunter2@');
    const project = useProject({ ...trialConfig, store: { kind: 'postgres', connectionString: withPassword, schema } });
    await project.withHub((hub) =>
      hub.charge({ requestId: 'pg-1', entry: 'trial', model: 'claude-haiku-4-5', cost: usd('0.35') }),
    );
    const status = await runDrawdown(['status'], { cwd: project.dir, env: { COLUMNS: '160' } });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^trial\s+budget\s+available\s+█{7}░{13}\s+35%\s+\$0\.35\s+\$0\.65/m);
    expect(status.stdout).toContain(`postgres postgres://postgres:***@`);
    expect(status.stdout).not.toContain('hunter2');
    const report = await runInProcess(['report', '--by', 'model', '--json'], { cwd: project.dir });
    expect(JSON.parse(report.stdout)).toMatchObject({
      totalUsd: '0.35',
      rows: [{ model: 'claude-haiku-4-5', requests: 1 }],
    });
  });
});
