import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKey, budget, childEnvForOwnSignIn, childEnvWithApiKey, createHub, silentLogger, type ChildEnv, type Hub } from '../src/index.js';
import { delegatedStrategy } from './fixtures/anthropic-harness.js';

const BUNDLED = 'sk-ant-bundled-trial-key-000000000001';
const USER_KEY = 'sk-ant-user-own-key-0000000000000002';

/** Starts a real child process that prints its whole environment as JSON. */
function environmentOfChild(env: ChildEnv): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.env))'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, string>) : reject(new Error(`child exited with ${code}`))));
  });
}

/** What a developer's shell typically carries: every credential Claude Code would prefer over /login. */
const parentEnv = (): ChildEnv => ({
  PATH: process.env.PATH,
  HOME: '/home/alice',
  LANG: 'en_US.UTF-8',
  ANTHROPIC_API_KEY: USER_KEY,
  ANTHROPIC_AUTH_TOKEN: 'gateway-bearer-token-0003',
  CLAUDE_CODE_USE_BEDROCK: '1',
  CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-user-setup-token',
  MYAPP_TRIAL_KEY: BUNDLED,
  MYAPP_COPY_OF_USER_KEY: USER_KEY,
});
const CREDENTIAL_VARS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY', 'CLAUDE_CODE_OAUTH_TOKEN'];

describe('child process environments', () => {
  let hub: Hub;
  beforeEach(async () => {
    hub = await createHub({
      logger: silentLogger,
      plugins: [
        apiKey({ id: 'bundled', key: BUNDLED }),
        apiKey({ id: 'userKey', environment: { ANTHROPIC_API_KEY: USER_KEY } }),
        apiKey({ id: 'missing', envVar: 'NO_SUCH_KEY_VAR', environment: {} }),
        delegatedStrategy('ownSignIn'),
        budget({ id: 'trial', amount: '10' }),
        budget({ id: 'plan', amount: '100' }),
      ],
      route: {
        entries: [
          { id: 'trial', strategy: 'bundled', pool: 'trial' },
          { id: 'personal', strategy: 'ownSignIn', pool: 'plan' },
          { id: 'own-key', strategy: 'userKey', pool: 'plan' },
          { id: 'broken', strategy: 'missing', pool: 'plan' },
        ],
      },
    });
  });
  afterEach(async () => {
    await hub.close();
  });

  it('starts a delegated child with no API key, auth token, provider switch or other strategy\'s secret', async () => {
    const base = parentEnv();
    const env = await environmentOfChild(hub.childEnv('personal', base));
    for (const name of CREDENTIAL_VARS) expect(env[name], name).toBeUndefined();
    expect(Object.values(env)).not.toContain(BUNDLED);
    expect(Object.values(env)).not.toContain(USER_KEY);
    expect(env).toMatchObject({ HOME: '/home/alice', LANG: 'en_US.UTF-8' });
  });

  it('starts a bundled-key child with exactly the bundled key and nothing that would outrank it', async () => {
    const env = await environmentOfChild(hub.childEnv('trial', parentEnv()));
    expect(env.ANTHROPIC_API_KEY).toBe(BUNDLED);
    // The only credentials in the child are the bundled key's own (the app's variable holding it stays).
    expect(Object.entries(env).filter(([, value]) => value === BUNDLED).map(([name]) => name).sort()).toEqual(['ANTHROPIC_API_KEY', 'MYAPP_TRIAL_KEY']);
    expect(env.ANTHROPIC_AUTH_TOKEN).toBeUndefined();
    expect(env.CLAUDE_CODE_USE_BEDROCK).toBeUndefined();
    expect(Object.values(env)).not.toContain(USER_KEY);
  });

  it('never changes the base environment it was given, nor the parent\'s process.env', async () => {
    const base = parentEnv();
    const baseBefore = JSON.stringify(base);
    const processBefore = JSON.stringify(process.env);
    await environmentOfChild(hub.childEnv('personal', base));
    await environmentOfChild(hub.childEnv('trial', base));
    expect(JSON.stringify(base)).toBe(baseBefore);
    expect(JSON.stringify(process.env)).toBe(processBefore);
  });

  describe('starting from process.env', () => {
    const saved: Record<string, string | undefined> = {};
    beforeEach(() => {
      for (const [name, value] of Object.entries(parentEnv())) {
        if (name === 'PATH' || name === 'HOME') continue;
        saved[name] = process.env[name];
        process.env[name] = value;
      }
    });
    afterEach(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it('scrubs the parent\'s credentials from a delegated child and leaves process.env as it was', async () => {
      const before = { ...process.env };
      const env = await environmentOfChild(hub.childEnv('personal'));
      for (const name of CREDENTIAL_VARS) expect(env[name], name).toBeUndefined();
      expect(env.MYAPP_TRIAL_KEY).toBeUndefined();
      expect(process.env).toEqual(before);
      expect(process.env.ANTHROPIC_API_KEY).toBe(USER_KEY);
    });

    it('replaces the parent\'s own key with the bundled one in a trial child', async () => {
      const env = await environmentOfChild(hub.childEnv('trial'));
      expect(env.ANTHROPIC_API_KEY).toBe(BUNDLED);
      expect(process.env.ANTHROPIC_API_KEY).toBe(USER_KEY);
    });
  });

  it('keeps the user\'s own setup token only when asked, and removes named variables and secret values', async () => {
    const kept = await environmentOfChild(childEnvForOwnSignIn({ base: parentEnv(), keepUserOAuthToken: true, removeVars: ['LANG'], removeValues: [BUNDLED] }));
    expect(kept.CLAUDE_CODE_OAUTH_TOKEN).toBe('sk-ant-oat01-user-setup-token');
    expect(kept.ANTHROPIC_API_KEY).toBeUndefined();
    expect(kept.LANG).toBeUndefined();
    expect(kept.MYAPP_TRIAL_KEY).toBeUndefined();
    const keyed = await environmentOfChild(childEnvWithApiKey(BUNDLED, { base: parentEnv(), removeValues: [BUNDLED, USER_KEY] }));
    // The key being set is never scrubbed as a secret of its own.
    expect(keyed.ANTHROPIC_API_KEY).toBe(BUNDLED);
    expect(keyed.MYAPP_COPY_OF_USER_KEY).toBeUndefined();
  });

  it('refuses a child for a key strategy without a key, and for an entry the route does not have', () => {
    expect(() => hub.childEnv('broken', parentEnv())).toThrow(expect.objectContaining({ code: 'DRAWDOWN_AUTH_UNAVAILABLE' }));
    expect(() => hub.childEnv('nowhere', parentEnv())).toThrow(expect.objectContaining({ code: 'DRAWDOWN_UNKNOWN_REFERENCE' }));
  });
});
