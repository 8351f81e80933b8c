import { mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { apiKey, budget, createHub, formatUsd, memoryStore } from '@drawdown/core';
import { delegated, planAllowance } from '@drawdown/plugin-oauth';
import { replies, startAnthropicServer } from '@drawdown/testkit';
import { startAcpDesktopApp } from './app.js';

const require = createRequire(import.meta.url);
/** The real ACP adapter (`claude-agent-acp`), which runs Claude Code through the Agent SDK. */
const adapter = join(dirname(require.resolve('@agentclientprotocol/claude-agent-acp/package.json')), 'dist/index.js');

/**
 * The desktop app's ACP story offline: the real adapter and Claude Code against a loopback
 * Messages API. Three prompts on the $1.00 trial (each $0.48 on Opus 5.5: 100,000 in at $4/MTok +
 * 4,000 out at $20/MTok), then the route leaves the trial: the app restarts the agent under
 * "personal" and the same session goes on, paid by the plan. Returns what it printed.
 */
export async function main(): Promise<string[]> {
  const log: string[] = [];
  const say = (line: string): void => {
    log.push(line);
    console.log(line);
  };
  const keys = { bundled: 'sk-ant-app-bundled-acp-example', signIn: 'user-sign-in-acp-example' };
  const api = await startAnthropicServer({
    credentials: { bundled: keys.bundled, signIn: keys.signIn },
    // The agent's own turns (requests with tools) cost the same each; its side requests (titles) nothing.
    fallback: (request) =>
      Array.isArray(request.body?.tools) && request.body.tools.length > 0
        ? replies.message({
            text: `answered with ${request.credential === 'bundled' ? "the app's trial key" : "the user's own sign-in"}`,
            usage: { input_tokens: 100_000, output_tokens: 4_000 },
          })
        : replies.message({ text: 'Side request', usage: { input_tokens: 0, output_tokens: 0 } }),
  });
  const home = mkdtempSync(join(tmpdir(), 'acp-desktop-agent-'));
  mkdirSync(join(home, '.claude'));
  const hub = await createHub({
    store: memoryStore(),
    plugins: [
      apiKey({ id: 'bundled', key: keys.bundled }),
      budget({ id: 'trial', amount: '1.00', label: 'trial' }),
      // Personal mode: the agent runs with the user's own sign-in and no key; the plan pays.
      delegated({ id: 'claude-login', keepUserOAuthToken: true, keepBaseUrl: true }),
      planAllowance({ id: 'plan' }),
    ],
    route: {
      entries: [
        { id: 'trial', strategy: 'bundled', pool: 'trial' },
        { id: 'personal', strategy: 'claude-login', pool: 'plan' },
      ],
    },
  });
  hub.on('pool.exhausted', (e) => say(`pool.exhausted ${e.poolId}: ${e.message}`));
  const app = await startAcpDesktopApp({
    hub,
    agent: [process.execPath, adapter],
    cwd: home,
    // In a real app: the user's environment, where Claude Code finds its own login. Offline, the
    // sign-in is a token the loopback server accepts, and a temporary HOME keeps the user's files out.
    env: {
      PATH: process.env.PATH,
      HOME: home,
      CLAUDE_CONFIG_DIR: join(home, '.claude'),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      ANTHROPIC_BASE_URL: api.url,
      CLAUDE_CODE_OAUTH_TOKEN: keys.signIn,
    },
    say,
  });
  try {
    for (const text of [
      'plan the settings page',
      'write the form',
      'add validation',
      'write the tests',
      'fix the failing test',
    ]) {
      const answer = await app.prompt(text);
      say(`"${text}" → ${answer.stopReason}, paid by ${answer.entry}`);
    }
    for (const pool of (await hub.status()).pools) say(`${pool.id}: spent ${formatUsd(pool.spent)}`);
    // What the server returned, priced by the rate card: the pools above add up to exactly this.
    const turns = api.requests.filter((r) => Array.isArray(r.body?.tools) && r.body.tools.length > 0);
    const returned = turns.reduce(
      (sum, r) =>
        sum + hub.rateCard.price(String(r.body?.model), { input_tokens: 100_000, output_tokens: 4_000 }).total,
      0,
    );
    say(
      `server answered ${turns.length} turns (${turns.map((r) => `${r.credential}/${String(r.body?.model)}`).join(', ')}) worth ${formatUsd(returned)}`,
    );
  } finally {
    await app.close();
    await hub.close();
    await api.close();
  }
  return log;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
