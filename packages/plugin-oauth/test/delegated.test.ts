import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isDrawdownError } from '@drawdown/core';
import { describe, expect, it } from 'vitest';
import { delegated } from '../src/index.js';

const probeScript = fileURLToPath(new URL('./fixtures/probe.mjs', import.meta.url));
const probe = (mode: string, timeoutMs?: number) => ({
  command: process.execPath,
  args: [probeScript, mode],
  ...(timeoutMs !== undefined && { timeoutMs }),
});
const strategyOf = (options: Parameters<typeof delegated>[0]) => {
  const instance = delegated(options).setup() as { strategy: import('@drawdown/core').AuthStrategy };
  return instance.strategy;
};

const parentEnv = {
  PATH: process.env.PATH,
  HOME: '/home/alice',
  ANTHROPIC_API_KEY: 'sk-ant-api-parent',
  ANTHROPIC_AUTH_TOKEN: 'parent-bearer',
  CLAUDE_CODE_USE_BEDROCK: '1',
  CLAUDE_CODE_USE_VERTEX: '1',
  CLAUDE_CODE_USE_FOUNDRY: '1',
  CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-user',
  MY_APP_SECRET: 'app-secret',
};

describe('delegated strategy', () => {
  it('starts the child without any API key, auth token or provider switch', () => {
    const env = strategyOf({}).childEnv(parentEnv);
    expect(env).toEqual({ PATH: process.env.PATH, HOME: '/home/alice', MY_APP_SECRET: 'app-secret' });
  });

  it('removes credential headers, credential file descriptors, every provider switch and the base URL unless asked to keep it', () => {
    const parent = {
      ...parentEnv,
      ANTHROPIC_CUSTOM_HEADERS: 'x-api-key: sk-ant-bundled',
      CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR: '3',
      CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR: '4',
      CLAUDE_CODE_USE_GATEWAY: '1',
      CLAUDE_CODE_USE_MANTLE: '1',
      CLAUDE_CODE_USE_ANTHROPIC_AWS: '1',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:7755',
    };
    expect(strategyOf({}).childEnv(parent)).toEqual({
      PATH: process.env.PATH,
      HOME: '/home/alice',
      MY_APP_SECRET: 'app-secret',
    });
    expect(strategyOf({ keepBaseUrl: true }).childEnv(parent)).toEqual({
      PATH: process.env.PATH,
      HOME: '/home/alice',
      MY_APP_SECRET: 'app-secret',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:7755',
    });
    expect(() => delegated({ keepBaseUrl: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({
        code: 'DRAWDOWN_INVALID_OPTION',
        data: expect.objectContaining({ field: 'keepBaseUrl' }),
      }),
    );
  });

  it("keeps the user's own CLAUDE_CODE_OAUTH_TOKEN only when asked, and removes named app variables", () => {
    const env = strategyOf({ keepUserOAuthToken: true, removeVars: ['MY_APP_SECRET'] }).childEnv(parentEnv);
    expect(env).toEqual({ PATH: process.env.PATH, HOME: '/home/alice', CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-user' });
  });

  it('gives a real child process an environment with none of the credential variables', async () => {
    const env = strategyOf({}).childEnv({ ...process.env, ...parentEnv });
    const run = await promisify(execFile)(process.execPath, [probeScript, 'own-sign-in-only'], { env }).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    expect(run).toBe(0);
  });

  it('reports signed in when the probe succeeds', async () => {
    expect(await strategyOf({ probe: probe('signed-in') }).status()).toMatchObject({
      ready: true,
      detail: expect.stringContaining('succeeded'),
    });
  });

  it('names the account when the probe prints it as JSON', async () => {
    expect(await strategyOf({ probe: probe('json-in') }).status()).toEqual({
      ready: true,
      detail: 'signed in as alice@example.com',
    });
  });

  it('reports not signed in when the probe says so, with a hint to sign in in the agent', async () => {
    expect(await strategyOf({ probe: probe('json-out') }).status()).toMatchObject({
      ready: false,
      hint: expect.stringContaining('/login'),
    });
  });

  it('reports not signed in when the probe fails, without repeating its output', async () => {
    const status = await strategyOf({ probe: probe('leaky') }).status();
    expect(status.ready).toBe(false);
    expect(status.detail).toContain('exited with 1');
    expect(JSON.stringify(status)).not.toContain('probe-output-secret');
  });

  it('runs the probe with the shaped environment, so a parent key cannot make it look signed in', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { ANTHROPIC_API_KEY: 'sk-ant-api-parent', CLAUDE_CODE_USE_BEDROCK: '1' });
    try {
      expect((await strategyOf({ probe: probe('own-sign-in-only') }).status()).ready).toBe(true);
    } finally {
      for (const name of ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_USE_BEDROCK'])
        if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it('reports a probe that does not answer in time', async () => {
    const status = await strategyOf({ probe: probe('hang', 300) }).status();
    expect(status).toMatchObject({ ready: false, detail: expect.stringContaining('did not answer within 300 ms') });
  });

  it('reports a probe command that is not installed', async () => {
    const status = await strategyOf({ probe: { command: 'drawdown-no-such-command' } }).status();
    expect(status).toMatchObject({
      ready: false,
      detail: expect.stringContaining('was not found'),
      hint: expect.stringContaining('install'),
    });
  });

  it('says the sign-in is not checked when no probe is configured', async () => {
    expect(await strategyOf({}).status()).toMatchObject({
      ready: true,
      detail: expect.stringContaining('not checked'),
    });
  });

  it('has no credentials for in-process clients: the child agent makes the requests', async () => {
    const error = await strategyOf({ id: 'claude-login' })
      .credentials()
      .catch((e: unknown) => e);
    expect(isDrawdownError(error, 'DRAWDOWN_AUTH_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('child agent');
  });

  it('checks its options, naming the field', () => {
    expect(() => delegated({ id: '' })).toThrow(/option "id"/);
    expect(() => delegated({ probe: { command: '' } })).toThrow(/option "probe.command"/);
    expect(() => delegated({ probe: { command: 'claude', args: [1 as never] } })).toThrow(/option "probe.args"/);
    expect(() => delegated({ probe: { command: 'claude', timeoutMs: 0 } })).toThrow(/option "probe.timeoutMs"/);
    expect(() => delegated({ removeVars: 'X' as never })).toThrow(/option "removeVars"/);
  });
});
