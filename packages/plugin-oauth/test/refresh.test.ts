import { mkdtemp, readdir, rm, stat, writeFile, chmod, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { isDrawdownError } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthClient, fileTokenStore, OAuthErrorCodes, configDirectory } from '../src/index.js';
import { withFileLock } from '../src/oauth/file-lock.js';
import { startAuthServer, type TestAuthServer } from './support/auth-server.js';
import { loopbackLogin } from './support/login.js';
import { lineFrom, outputOf, spawnTs } from './support/spawn.js';

let server: TestAuthServer;
let dir: string;

beforeAll(async () => {
  server = await startAuthServer();
  dir = await mkdtemp(join(tmpdir(), 'drawdown-oauth-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const fileClient = (
  path: string,
  extra: Parameters<typeof createOAuthClient>[0] extends infer O ? Partial<O> : never = {},
) =>
  createOAuthClient({
    issuer: server.issuer,
    clientId: server.publicClientId,
    openBrowser: false,
    tokenStore: fileTokenStore({ path }),
    ...extra,
  });

describe('single-flight refresh', () => {
  it('refreshes once for fifty concurrent requests holding an expired token', async () => {
    const path = join(dir, 'in-process.json');
    const clock = manualClock(Date.now());
    const client = fileClient(path, { clock });
    await loopbackLogin(client);
    const before = await client.accessToken();
    clock.advance(3 * 3600_000);
    server.resetTokenRequests();

    const tokens = await Promise.all(Array.from({ length: 50 }, () => client.strategy.credentials()));

    expect(server.tokenRequests()).toBe(1);
    expect(new Set(tokens.map((t) => t.authToken)).size).toBe(1);
    expect(tokens[0]!.authToken).not.toBe(before);
  });

  it('refreshes once across two processes sharing the token file', async () => {
    const path = join(dir, 'shared.json');
    const store = fileTokenStore({ path });
    await loopbackLogin(fileClient(path));
    // Both processes start with an expired access token on disk.
    await store.save({ ...(await store.load())!, expiresAt: 0 });
    server.resetTokenRequests();

    const children = [0, 1].map(() =>
      spawnTs('../fixtures/refresh-child.ts', [server.issuer, server.publicClientId, path, '25']),
    );
    const outputs = children.map(outputOf);
    await Promise.all(children.map((child) => lineFrom(child, 'ready')));
    for (const child of children) child.stdin.write('go\n');
    const results = await Promise.all(outputs);

    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const fingerprints = results.map(
      (r) => (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { fingerprints: string[] }).fingerprints,
    );
    expect(fingerprints[0]).toHaveLength(1);
    expect(fingerprints[1]).toEqual(fingerprints[0]);
    expect(server.tokenRequests()).toBe(1);
    expect((await store.load())?.expiresAt).toBeGreaterThan(Date.now());
  });
});

describe('file token store', () => {
  it('writes the token file readable by the user only, inside a private directory, leaving no temporary files', async () => {
    const path = join(dir, 'private', 'tokens.json');
    await loopbackLogin(fileClient(path));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'private'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(dir, 'private'))).toEqual(['tokens.json']);
  });

  it('defaults to <XDG_CONFIG_HOME>/drawdown/tokens/<id>.json', async () => {
    const environment = { XDG_CONFIG_HOME: join(dir, 'xdg') };
    expect(configDirectory(environment)).toBe(join(dir, 'xdg'));
    const store = fileTokenStore({ name: 'gateway', environment });
    expect(store.location).toBe(join(dir, 'xdg', 'drawdown', 'tokens', 'gateway.json'));
    await store.save({
      version: 1,
      issuer: 'https://a.example/',
      clientId: 'c',
      accessToken: 'x',
      tokenType: 'bearer',
      obtainedAt: 0,
    });
    expect((await stat(store.location)).mode & 0o777).toBe(0o600);
  });

  it('tightens a token file someone made readable by others', async () => {
    const store = fileTokenStore({ path: join(dir, 'loose.json') });
    await store.save({
      version: 1,
      issuer: 'https://a.example/',
      clientId: 'c',
      accessToken: 'x',
      tokenType: 'bearer',
      obtainedAt: 0,
    });
    await chmod(store.location, 0o644);
    await store.load();
    expect((await stat(store.location)).mode & 0o777).toBe(0o600);
  });

  it('refuses a token file it did not write, naming the file and what to do', async () => {
    const path = join(dir, 'foreign.json');
    await writeFile(path, '{"hello": "world"}', { mode: 0o600 });
    const error = await fileTokenStore({ path })
      .load()
      .catch((e: unknown) => e);
    expect(isDrawdownError(error, OAuthErrorCodes.TOKEN_FILE_INVALID)).toBe(true);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('sign in again');
  });

  it('refuses a bad store name at creation', () => {
    expect(() => fileTokenStore({ name: '../escape' })).toThrow(/option "name"/);
  });
});

describe('token store lock', () => {
  it('takes over a lock whose process has died', async () => {
    const lock = join(dir, 'dead.lock');
    const dead = spawn(process.execPath, ['-e', '']);
    const pid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));
    const { hostname } = await import('node:os');
    await writeFile(lock, JSON.stringify({ pid, host: hostname(), token: 'abandoned' }));
    expect(await withFileLock(lock, async () => 'ran')).toBe('ran');
    await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('gives up with a coded error when a live process keeps the lock', async () => {
    const lock = join(dir, 'held.lock');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      const { hostname } = await import('node:os');
      await writeFile(lock, JSON.stringify({ pid: holder.pid, host: hostname(), token: 'someone-else' }));
      const error = await withFileLock(lock, async () => 'ran', { timeoutMs: 100 }).catch((e: unknown) => e);
      expect(isDrawdownError(error, OAuthErrorCodes.LOCK_TIMEOUT)).toBe(true);
      expect((error as Error).message).toContain(lock);
      expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ token: 'someone-else' });
    } finally {
      holder.kill();
    }
  });
});
