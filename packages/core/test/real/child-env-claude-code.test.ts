import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { claudeCodeEnv, replies, startAnthropicServer, type AnthropicServer } from '@drawdown/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { childEnvForOwnSignIn, childEnvWithApiKey, claudeCodeAuthSource, type ChildEnv } from '../../src/index.js';

/**
 * The real Claude Code CLI (2.1.332) as the judge. The parent's environment carries the bundled key
 * in one variable at a time; the loopback server accepts that key (so a child that has it uses it)
 * and records every credential it is shown. Unscrubbed, the child presents the key (the control);
 * as a personal child it never does.
 */
describe('child environments judged by the real Claude Code CLI', { timeout: 240_000 }, () => {
  const KEY = 'sk-ant-bundled-trial-key-for-leak-test-01';
  const cli = path.join(
    path.dirname(createRequire(import.meta.url).resolve('@anthropic-ai/claude-code/package.json')),
    'bin',
    'claude.exe',
  );
  let server: AnthropicServer;
  let home: string;
  beforeEach(async () => {
    server = await startAnthropicServer({
      credentials: { bundled: KEY },
      fallback: () => replies.message({ text: 'ok', usage: { input_tokens: 10, output_tokens: 2 } }),
    });
    home = mkdtempSync(path.join(tmpdir(), 'drawdown-child-env-'));
  });
  afterEach(async () => {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** Runs `claude -p` with this environment; fd 3 carries the key (for the *_FILE_DESCRIPTOR variables). */
  function runClaude(env: ChildEnv): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const child = spawn(cli, ['-p', 'hi', '--output-format', 'json'], {
        env: env as NodeJS.ProcessEnv,
        stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      });
      const fd3 = child.stdio[3] as NodeJS.WritableStream & { on(event: 'error', listener: () => void): void };
      fd3.on('error', () => undefined);
      fd3.end(KEY);
      child.on('error', reject);
      child.on('close', resolve);
    });
  }
  const sawKey = () => server.requests.some((r) => r.presented.some((c) => c.credential === 'bundled'));

  // Each case: what the parent sets besides ANTHROPIC_BASE_URL (kept on purpose, so a leak reaches the server).
  const cases: Record<string, Record<string, string>> = {
    ANTHROPIC_API_KEY: { ANTHROPIC_API_KEY: KEY },
    ANTHROPIC_AUTH_TOKEN: { ANTHROPIC_AUTH_TOKEN: KEY },
    CLAUDE_CODE_OAUTH_TOKEN: { CLAUDE_CODE_OAUTH_TOKEN: KEY },
    'ANTHROPIC_CUSTOM_HEADERS (x-api-key)': { ANTHROPIC_CUSTOM_HEADERS: `x-api-key: ${KEY}` },
    'ANTHROPIC_CUSTOM_HEADERS (Authorization)': { ANTHROPIC_CUSTOM_HEADERS: `Authorization: Bearer ${KEY}` },
    CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR: { CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR: '3' },
    CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR: { CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR: '3' },
    CLAUDE_CODE_USE_GATEWAY: { CLAUDE_CODE_USE_GATEWAY: '1', ANTHROPIC_AUTH_TOKEN: KEY },
    CLAUDE_CODE_USE_FOUNDRY: {
      CLAUDE_CODE_USE_FOUNDRY: '1',
      ANTHROPIC_FOUNDRY_API_KEY: KEY,
      ANTHROPIC_FOUNDRY_BASE_URL: '<server>',
    },
    CLAUDE_CODE_USE_BEDROCK: {
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_BEARER_TOKEN_BEDROCK: KEY,
      ANTHROPIC_BEDROCK_BASE_URL: '<server>',
      AWS_REGION: 'us-east-1',
    },
    CLAUDE_CODE_USE_MANTLE: {
      CLAUDE_CODE_USE_MANTLE: '1',
      AWS_BEARER_TOKEN_BEDROCK: KEY,
      ANTHROPIC_BEDROCK_MANTLE_BASE_URL: '<server>',
      AWS_REGION: 'us-east-1',
    },
  };
  const parentWith = (vars: Record<string, string>): ChildEnv => ({
    ...claudeCodeEnv({ baseUrl: server.url, home }),
    ...Object.fromEntries(
      Object.entries(vars).map(([name, value]) => [name, value === '<server>' ? server.url : value]),
    ),
  });

  it.each(Object.entries(cases))(
    'a personal child never presents the bundled key that the parent holds in %s',
    async (_name, vars) => {
      const parent = parentWith(vars);
      // Control: the parent's own environment makes the real CLI present the key.
      await runClaude(parent);
      expect(sawKey()).toBe(true);
      server.reset();
      const personal = childEnvForOwnSignIn({ base: parent, keepBaseUrl: true });
      expect(claudeCodeAuthSource(personal)).toEqual({ kind: 'login' });
      await runClaude(personal);
      expect(sawKey()).toBe(false);
      // Not signed in to anything, the CLI asks for /login instead of calling the API.
      expect(server.requests.filter((r) => r.path === '/v1/messages')).toEqual([]);
    },
  );

  it('a bundled-key child presents exactly its key, whatever else the parent holds', async () => {
    const OTHER = 'sk-ant-users-own-key-0000000000000099';
    const parent = parentWith({
      ANTHROPIC_API_KEY: OTHER,
      ANTHROPIC_AUTH_TOKEN: OTHER,
      ANTHROPIC_CUSTOM_HEADERS: `Authorization: Bearer ${OTHER}`,
      CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR: '3',
      CLAUDE_CODE_USE_GATEWAY: '1',
    });
    const exitCode = await runClaude(childEnvWithApiKey(KEY, { base: parent }));
    expect(exitCode).toBe(0);
    const calls = server.requests.filter((r) => r.path === '/v1/messages');
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.presented).toEqual([{ scheme: 'x-api-key', credential: 'bundled' }]);
  });
});
