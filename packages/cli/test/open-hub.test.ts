import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DrawdownConfig } from '../src/config/types.js';
import { openHub } from '../src/hub/open-hub.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function hubFor(rateCard: DrawdownConfig['rateCard']) {
  const dir = mkdtempSync(path.join(tmpdir(), 'drawdown-open-hub-'));
  dirs.push(dir);
  const config: DrawdownConfig = {
    timeZone: 'UTC',
    store: { kind: 'sqlite', file: 'ledger.sqlite' },
    strategies: { bundled: { kind: 'apiKey', envVar: 'APP_TRIAL_KEY' } },
    pools: { trial: { kind: 'budget', amount: '1.00' } },
    route: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }],
    ...(rateCard !== undefined && { rateCard }),
  };
  const file = path.join(dir, 'drawdown.config.json');
  return openHub(
    { config, file, searched: [file], fromEnv: [], problems: [] },
    { env: { APP_TRIAL_KEY: 'sk-ant-test' }, cwd: dir },
  );
}

describe('the hub the CLI opens from a configuration', () => {
  it('charges the cost an agent reported for an unknown model when rateCard.unknownModel says so, and marks the entry', async () => {
    const hub = await hubFor({ unknownModel: 'charge-reported' });
    try {
      expect(hub.rateCard.unknownModel).toBe('charge-reported');
      // 0.0123 USD reported by the agent = 12,300,000 nanodollars.
      await hub.charge({
        requestId: 'r1',
        entry: 'trial',
        model: 'claude-future-9',
        usage: { output_tokens: 0, input_tokens: 10 },
        reportedCost: 12_300_000,
      });
      const [entry] = await hub.store.entries({ account: 'trial' });
      expect(entry).toMatchObject({
        kind: 'charge',
        record: { cost: 12_300_000 },
        meta: { model: 'claude-future-9', pricedBy: 'reported-cost' },
      });
    } finally {
      await hub.close();
      await hub.store.close();
    }
  });

  it('refuses an unknown model by default', async () => {
    const hub = await hubFor(undefined);
    try {
      expect(hub.rateCard.unknownModel).toBe('refuse');
      await expect(
        hub.charge({
          requestId: 'r1',
          entry: 'trial',
          model: 'claude-future-9',
          usage: { output_tokens: 0, input_tokens: 10 },
          reportedCost: 12_300_000,
        }),
      ).rejects.toMatchObject({ code: 'DRAWDOWN_UNKNOWN_MODEL' });
    } finally {
      await hub.close();
      await hub.store.close();
    }
  });
});
