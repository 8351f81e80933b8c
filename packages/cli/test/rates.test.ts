import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDrawdown, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

const rates = {
  inputPerMTok: '1',
  cacheWrite5mPerMTok: '1.25',
  cacheWrite1hPerMTok: '2',
  cacheReadPerMTok: '0.1',
  outputPerMTok: '5',
};

function configDir(config: object): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drawdown-rates-'));
  writeFileSync(path.join(dir, 'drawdown.config.json'), JSON.stringify(config));
  return dir;
}

describe.concurrent('drawdown rates', { timeout: 60_000 }, () => {
  it('lists every model in force on a day with bands, fast mode and modifiers, within 80 columns', async () => {
    const result = await runDrawdown(['rates', '--at', '2026-11-23'], { env: { COLUMNS: '120' } });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^Model\s+From\s+Input\s+5m write\s+1h write\s+Cache hit\s+Output$/);
    expect(result.stdout).toMatch(/^claude-opus-5-5\*\s+2026-09-23\s+\$4\s+\$5\s+\$8\s+\$0\.20\s+\$20$/m);
    expect(result.stdout).toMatch(/^\s+fast mode: \$8 \/ \$10 \/ \$16 \/ \$0\.40 \/ \$40$/m);
    expect(result.stdout).toMatch(
      /^claude-haiku-5-5\*\s+2026-10-07\s+\$0\.10\s+\$0\.125\s+\$0\.20\s+\$0\.01\s+\$0\.50$/m,
    );
    expect(result.stdout).toMatch(
      /prompt > 100,000 tokens, whole request: \$0\.50 \/ \$0\.625 \/ \$1 \/ \$0\.05 \/ \$2\.50/,
    );
    expect(result.stdout).toMatch(/^claude-sonnet-4-5\s+2025-09-29/m); // no * : no US multiplier before 4.6
    expect(result.stdout).toMatch(/^claude-sonnet-4-6\*/m);
    expect(result.stdout).toContain('Batch API: 0.5× on every token category; not combinable with fast mode.');
    expect(result.stdout).toContain('Web search: $0.01 per request, not multiplied.');
  });

  it("shows one model on a day as JSON with exact decimal strings and each row's source", async () => {
    const before = await runInProcess(['rates', '--model', 'claude-sonnet-5-5[1m]', '--at', '2026-10-06', '--json']);
    expect(before.code).toBe(0);
    const json = JSON.parse(before.stdout) as {
      at: string;
      models: Array<Record<string, unknown>>;
      modifiers: Record<string, unknown>;
    };
    expect(json.at).toBe('2026-10-06T00:00:00.000Z');
    expect(json.models).toHaveLength(1);
    expect(json.models[0]).toMatchObject({
      id: 'claude-sonnet-5-5@2026-09-28',
      cacheReadPerMTokUsd: '0.2',
      inputPerMTokUsd: '2',
      usInferenceMultiplier: '1.1',
      evidence: 'A',
    });
    expect(json.models[0]!.source).toMatch(/^https:\/\/platform\.claude\.com\//);
    expect(json.modifiers).toEqual({
      batchMultiplier: '0.5',
      usInferenceMultiplier: '1.1',
      webSearchPerRequestUsd: '0.01',
      fastWithBatch: false,
    });
    const after = await runInProcess(['rates', '--model', 'claude-sonnet-5-5', '--at', '2026-10-07', '--json']);
    expect((JSON.parse(after.stdout) as typeof json).models[0]).toMatchObject({
      id: 'claude-sonnet-5-5@2026-10-07',
      cacheReadPerMTokUsd: '0.1',
    });
  });

  it('includes rows from rateCard.overrides in the configuration, and estimate prices with them', async () => {
    const cwd = configDir({
      rateCard: { overrides: [{ model: 'claude-next-6', effectiveFrom: '2026-11-01', ...rates, usInference: true }] },
    });
    const listed = await runInProcess(['rates', '--model', 'claude-next-6', '--json'], { cwd });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { models: object[] }).models[0]).toMatchObject({
      id: 'claude-next-6@2026-11-01',
      origin: 'override',
      evidence: 'config',
      cacheWrite5mPerMTokUsd: '1.25',
    });
    // 1M input × $1 × 1.1 (US) = $1.10
    const priced = await runInProcess(
      [
        'estimate',
        '--model',
        'claude-next-6',
        '--usage',
        '{"input_tokens":1000000,"inference_geo":"us","output_tokens":0}',
        '--json',
      ],
      { cwd },
    );
    expect(JSON.parse(priced.stdout)).toMatchObject({ totalUsd: '1.1', priceRow: 'claude-next-6@2026-11-01' });
  });

  it('refuses a malformed rateCard in config check and in rates, naming each field and the fix', async () => {
    const cwd = configDir({
      rateCard: { overrides: [{ model: 'claude-x', inputPerMTok: '1', outputPerMTok: 'lots' }], unknownModel: 'maybe' },
    });
    const check = await runInProcess(['config', 'check', '--json'], { cwd });
    expect(check.code).not.toBe(0);
    const text = check.stdout + check.stderr;
    for (const field of [
      'rateCard.overrides[0].cacheWrite5mPerMTok',
      'rateCard.overrides[0].cacheReadPerMTok',
      'rateCard.overrides[0].outputPerMTok',
      'rateCard.unknownModel',
    ])
      expect(text).toContain(field);
    const listed = await runInProcess(['rates', '--json'], { cwd });
    expect(listed.code).not.toBe(0);
    expect(JSON.parse(listed.stderr)).toMatchObject({ code: 'DRAWDOWN_CLI_INVALID_CONFIG' });
  });

  it('refuses an unknown model and a day before its launch', async () => {
    const unknown = await runInProcess(['rates', '--model', 'claude-opus-9', '--json']);
    expect(JSON.parse(unknown.stderr)).toMatchObject({ code: 'DRAWDOWN_UNKNOWN_MODEL' });
    const early = await runInProcess(['rates', '--model', 'claude-haiku-5-5', '--at', '2026-10-06']);
    expect(unwrapped(early.stderr)).toMatch(/the card prices it from 2026-10-07/);
  });
});
