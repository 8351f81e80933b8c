import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { defaultRateCard, usd } from '@drawdown/core';
import { replies } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import { CREDITS_SECRET, TRIAL_SECRET, setup } from './helpers.js';

const require = createRequire(import.meta.url);
const claudeBin = path.join(
  path.dirname(require.resolve('@anthropic-ai/claude-code/package.json')),
  'bin',
  'claude.exe',
);
const version = (require('@anthropic-ai/claude-code/package.json') as { version: string }).version;

interface ClaudeResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real Claude Code CLI in print mode against the gateway, with a fresh HOME and only the gateway's key. */
function runClaude(baseUrl: string, key: string): Promise<ClaudeResult> {
  const home = mkdtempSync(path.join(tmpdir(), 'drawdown-claude-'));
  return new Promise((resolve, reject) => {
    const child = spawn(claudeBin, ['-p', 'hi', '--output-format', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        ANTHROPIC_BASE_URL: baseUrl,
        ANTHROPIC_API_KEY: key,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(home, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

describe(`the gateway with the real Claude Code CLI ${version}`, { timeout: 120_000 }, () => {
  it('charges exactly the rate-card price of every upstream usage, with the entry key upstream and the drawdown key nowhere', async () => {
    const usage = { input_tokens: 3_210, output_tokens: 45, cache_read_input_tokens: 1_000 };
    const { upstream, hub, gateway, keys, logger } = await setup({
      trial: '5.00',
      fallback: () => replies.message({ text: 'Hello from the loopback API', usage }),
    });
    const { key } = await keys.create({ name: 'claude-code', routes: ['trial'] });
    const result = await runClaude(gateway.url, key);
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as { is_error: boolean; result: string };
    expect(output).toMatchObject({ is_error: false, result: 'Hello from the loopback API' });
    await gateway.idle();
    const calls = upstream.requests.filter((r) => r.path === '/v1/messages');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((r) => r.credential === 'trial')).toBe(true);
    const expected = calls.reduce((sum, r) => sum + defaultRateCard.price(String(r.body?.model), usage).total, 0);
    const snap = await hub.store.snapshot({ account: 'trial', now: Date.now() });
    expect(snap.settled.lifetime).toBe(expected);
    expect(snap.held).toBe(0);
    const seen = JSON.stringify(upstream.requests) + logger.lines.join('\n') + result.stdout + result.stderr;
    expect(seen).not.toContain(key);
    expect(logger.lines.join('\n') + result.stdout + result.stderr).not.toContain(TRIAL_SECRET);
  });

  it('shows the refusal of an exhausted route as a readable message, once, without retrying', async () => {
    const { upstream, hub, gateway, keys } = await setup({ trial: '0.05' });
    const { key } = await keys.create({ name: 'spent', routes: ['trial'] });
    await hub.charge({ requestId: 'earlier-spend', entry: 'trial', cost: usd('0.05') });
    const result = await runClaude(gateway.url, key);
    const output = JSON.parse(result.stdout) as { is_error: boolean; result: string };
    expect(output.is_error).toBe(true);
    expect(output.result).toContain(
      'API Error: 402 drawdown: no route entry can pay for this request: trial: trial of $0.05 used',
    );
    expect(output.result).toContain('drawdown status');
    expect(upstream.requests).toHaveLength(0);
    expect(output.result).not.toContain(CREDITS_SECRET);
  });
});
