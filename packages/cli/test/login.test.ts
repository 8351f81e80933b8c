import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, TEST_ACCOUNT, type TestAuthServer } from '../../plugin-oauth/test/support/auth-server.js';
import { visit } from '../../plugin-oauth/test/support/browser.js';
import { useProject } from './project.js';
import { runDrawdown, unwrapped } from './run-cli.js';

let server: TestAuthServer;
beforeAll(async () => {
  server = await startAuthServer();
});
afterAll(() => server.close());

const gatewayConfig = (issuer: string, clientId: string) => ({
  store: { kind: 'memory' as const },
  strategies: { gateway: { kind: 'oauth' as const, issuer, clientId, openBrowser: false } },
  pools: { monthly: { kind: 'budget' as const, amount: '20', period: 'month' as const } },
  route: [{ id: 'gateway', strategy: 'gateway', pool: 'monthly' }],
});

describe('drawdown login and logout', () => {
  it('signs in through the browser redirect, keeps the tokens in a 0600 file, and signs out again', async () => {
    const project = useProject(gatewayConfig(server.issuer, server.publicClientId));
    const env = { XDG_CONFIG_HOME: path.join(project.dir, 'config') };
    let browsing: Promise<unknown> | undefined;
    const login = await runDrawdown(['login'], {
      cwd: project.dir,
      env,
      onStderr(soFar) {
        // The person's browser: open the printed address once and walk through the sign-in.
        const url = /https?:\/\/\S+\/auth\?\S+/.exec(soFar)?.[0];
        if (url && !browsing) browsing = visit(url);
      },
    });
    await browsing;
    expect(unwrapped(login.stderr)).toContain('Signing in for strategy "gateway"');
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Signed in to ${server.issuer}`);
    expect(login.stdout).toContain(`as ${TEST_ACCOUNT.id}`);
    const tokenDir = path.join(env.XDG_CONFIG_HOME, 'drawdown', 'tokens');
    const tokenFiles = readdirSync(tokenDir).filter((f) => f.includes('gateway'));
    expect(tokenFiles).toHaveLength(1);
    expect(statSync(path.join(tokenDir, tokenFiles[0]!)).mode & 0o777).toBe(0o600);

    const status = await runDrawdown(['status', '--json'], { cwd: project.dir, env });
    expect(status.code).toBe(0);
    // No token ever reaches the output.
    expect(status.stdout).not.toMatch(/eyJ[\w-]+\.[\w-]+/);

    const logout = await runDrawdown(['logout'], { cwd: project.dir, env });
    expect(logout.code).toBe(0);
    expect(logout.stdout).toMatch(/^Signed out of "gateway"/);
    const again = await runDrawdown(['logout'], { cwd: project.dir, env });
    expect(again.stdout).toContain('was not signed in; nothing to do');
    expect(existsSync(path.join(tokenDir, tokenFiles[0]!))).toBe(false);
  });

  it('with --json, prints what was signed in to and out of as JSON, never a token', async () => {
    const project = useProject(gatewayConfig(server.issuer, server.publicClientId));
    const env = { XDG_CONFIG_HOME: path.join(project.dir, 'config') };
    let browsing: Promise<unknown> | undefined;
    const login = await runDrawdown(['login', '--json'], {
      cwd: project.dir,
      env,
      onStderr(soFar) {
        const url = /https?:\/\/\S+\/auth\?\S+/.exec(soFar)?.[0];
        if (url && !browsing) browsing = visit(url);
      },
    });
    await browsing;
    expect(login.code).toBe(0);
    expect(JSON.parse(login.stdout)).toMatchObject({
      strategy: 'gateway',
      issuer: expect.stringMatching(new RegExp(`^${server.issuer}/?$`)),
      account: TEST_ACCOUNT.id,
    });
    expect(login.stdout).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    const logout = await runDrawdown(['logout', '--json'], { cwd: project.dir, env });
    expect(JSON.parse(logout.stdout)).toMatchObject({ strategy: 'gateway', hadTokens: true });
  });

  it('fails with a hint when no OAuth strategy is configured', async () => {
    const project = useProject({
      strategies: { key: { kind: 'apiKey' } },
      pools: { b: { kind: 'budget', amount: '1' } },
      route: [{ id: 'a', strategy: 'key', pool: 'b' }],
    });
    const result = await runDrawdown(['login'], { cwd: project.dir });
    expect(result.code).not.toBe(0);
    expect(unwrapped(result.stderr)).toMatch(
      /^drawdown: no managed OAuth strategy is configured.*\nhint: Add a strategy \{ "kind": "oauth"/,
    );
  });

  it('fails naming the configured strategies when --strategy names another', async () => {
    const project = useProject(gatewayConfig(server.issuer, server.publicClientId));
    const result = await runDrawdown(['login', '--strategy', 'corp'], { cwd: project.dir });
    expect(result.code).not.toBe(0);
    expect(unwrapped(result.stderr)).toMatch(
      /^drawdown: no OAuth strategy "corp"; configured: gateway .*\nhint: Pass --strategy gateway\./,
    );
  });

  it('fails with one line when the authorization server cannot be reached', async () => {
    const project = useProject(gatewayConfig('http://127.0.0.1:9', server.publicClientId));
    const result = await runDrawdown(['login'], { cwd: project.dir, env: { XDG_CONFIG_HOME: project.dir } });
    expect(result.code).not.toBe(0);
    // A long error wraps at 80 columns: read its continuation lines as part of it.
    const lines = unwrapped(result.stderr)
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('drawdown:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DRAWDOWN_OAUTH_/);
  });
});
