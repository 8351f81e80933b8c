import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sqliteStore } from '@drawdown/store-sqlite';
import { describe, expect, it } from 'vitest';
import { keyManager } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const PER_PROCESS = 12;

/** Runs the fixture that creates keys from its own process; resolves with the ids it printed. */
function createKeysInProcess(db: string, prefix: string, startAt: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=drawdown-source',
        '--import',
        'tsx',
        join(here, 'fixtures', 'create-keys.ts'),
        db,
        prefix,
        String(PER_PROCESS),
        String(startAt),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(stdout) as string[])
        : reject(new Error(`create-keys ${prefix} exited ${code}: ${stderr}`)),
    );
  });
}

describe('keys shared by several processes', () => {
  it('loses no key when two processes create keys at the same instant on one SQLite ledger, and a revoke in between keeps them all', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'drawdown-gateway-keys-')), 'ledger.sqlite');
    const store = sqliteStore({ file: db });
    const keys = keyManager(store);
    await keys.create({ name: 'before', routes: ['trial'] });
    // Both children sleep until the same instant (after their start-up), then create as fast as they can.
    const startAt = Date.now() + 8_000;
    const children = Promise.all([createKeysInProcess(db, 'left', startAt), createKeysInProcess(db, 'right', startAt)]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now() + 20)));
    // A revoke from this process while the children write: it must neither be lost nor drop their keys.
    await keys.revoke('before');
    const [left, right] = await children;
    const records = await keys.list();
    expect(records.map((r) => r.name).sort()).toEqual(
      ['before', ...Array.from({ length: PER_PROCESS }, (_, i) => [`left-${i}`, `right-${i}`]).flat()].sort(),
    );
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(
      records
        .filter((r) => r.name !== 'before')
        .map((r) => r.id)
        .sort(),
    ).toEqual([...left, ...right].sort());
    expect(records.find((r) => r.name === 'before')!.revokedAt).toBeTypeOf('number');
    await store.close();
  }, 120_000);
});

describe('verified keys, cached', () => {
  it('stop working after a revoke from another process on the same SQLite ledger, with the default re-read age', async () => {
    const { startAnthropicServer } = await import('@drawdown/testkit');
    const { apiKey, budget, createHub, silentLogger } = await import('@drawdown/core');
    const { startGateway } = await import('../src/index.js');
    const db = join(mkdtempSync(join(tmpdir(), 'drawdown-gateway-revoke-')), 'ledger.sqlite');
    const upstream = await startAnthropicServer({ credentials: { trial: 'sk-ant-revoke-test-0123456789' } });
    const hub = await createHub({
      store: sqliteStore({ file: db }),
      logger: silentLogger,
      plugins: [apiKey({ id: 'k', key: 'sk-ant-revoke-test-0123456789' }), budget({ id: 'trial', amount: '1.00' })],
      route: { entries: [{ id: 'trial', strategy: 'k', pool: 'trial' }] },
    });
    const other = sqliteStore({ file: db });
    const { key } = await keyManager(other).create({ name: 'revoked-elsewhere', routes: ['trial'] });
    const gateway = await startGateway({ hub, upstream: { url: upstream.url } });
    const ask = () =>
      fetch(`${gateway.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 50,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
    try {
      for (let i = 0; i < 3; i++) expect((await ask()).status).toBe(200);
      await keyManager(other).revoke('revoked-elsewhere');
      // Seen at the next re-read (at most a second on an idle machine); bounded here for a loaded one.
      let status = 200;
      for (let tries = 0; tries < 100 && status === 200; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await ask()).status;
      }
      expect(status).toBe(401);
    } finally {
      await gateway.close();
      await hub.close();
      await hub.store.close();
      await other.close();
      await upstream.close();
    }
  }, 120_000);
});
