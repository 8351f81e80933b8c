import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { usd } from '@drawdown/core';
import { describe, expect, it } from 'vitest';
import { openDatabase, pragmaValue } from '../src/driver.js';
import { sqliteStore } from '../src/index.js';
import { sqliteLedger } from '../src/ledger.js';
import { migrate } from '../src/schema.js';
import { ledgerFile, tempDir } from './helpers.js';
import { WORKER } from './workers/worker-path.js';

const dir = tempDir();
chmodSync(dir, 0o755);
const NOW = Date.parse('2026-11-23T12:00:00Z');
// Root ignores file permissions, so the probe runs as an unprivileged user when the tests run as root.
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** True when every directory above `path` lets other users through and `path` lets them run it. */
function othersCanRun(path: string): boolean {
  for (let at = path; ; at = dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) return false;
    if (dirname(at) === at) return true;
  }
}

/**
 * The Node binary the unprivileged user can run: this one, or a copy of it when it lives where
 * that user cannot reach (Node versions installed under root's home directory, for instance).
 */
const node = (() => {
  if (!('uid' in asUser) || othersCanRun(process.execPath)) return process.execPath;
  const copy = join(dir, 'node-bin', 'node');
  mkdirSync(dirname(copy), { mode: 0o755 });
  copyFileSync(process.execPath, copy);
  chmodSync(copy, 0o755);
  return copy;
})();

async function probe(file: string): Promise<Record<string, unknown>> {
  const args = {
    config: { file },
    mode: 'probe',
    tag: 'probe',
    count: 0,
    amount: '0.10',
    cap: '5',
    now: NOW,
    ttlMs: 1000,
  };
  const child = spawn(node, ['--conditions=drawdown-source', '--import', 'tsx', WORKER, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...asUser,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.on('close', (code) => reject(new Error(`probe exited with ${code} before answering: ${stderr}`))),
  );
  const spawnFailed = new Promise<never>((_, reject) => child.on('error', reject));
  const answer = (async () => {
    for await (const line of createInterface({ input: child.stdout }))
      return JSON.parse(line) as Record<string, unknown>;
    return exited;
  })();
  return Promise.race([answer, exited, spawnFailed]);
}

async function seeded(file: string): Promise<void> {
  const store = sqliteStore({ file });
  await store.settle({ account: 'shared', key: 'before', cost: usd('1'), now: NOW, scopes: [], day: '2026-11-23' });
  await store.close();
}

describe('sqlite store on a disk it cannot write', () => {
  it('fails a settle closed with DRAWDOWN_STORE_UNAVAILABLE when the file is read-only (0444), and still serves reads', async () => {
    const folder = join(dir, 'ro-file');
    mkdirSync(folder, { mode: 0o777 });
    chmodSync(folder, 0o777);
    const file = join(folder, 'ledger.sqlite');
    await seeded(file);
    chmodSync(file, 0o444);
    const before = readFileSync(file);
    const result = await probe(file);
    expect(result).toMatchObject({
      open: 'ok',
      snapshot: 'ok',
      settle: expect.stringMatching(/^DRAWDOWN_STORE_UNAVAILABLE: .*read-only.*nothing was recorded/),
    });
    expect(readFileSync(file).equals(before)).toBe(true);
  }, 60_000);

  it('fails closed with DRAWDOWN_STORE_UNAVAILABLE when the directory is read-only', async () => {
    const folder = join(dir, 'ro-dir');
    mkdirSync(folder);
    const file = join(folder, 'ledger.sqlite');
    await seeded(file);
    chmodSync(file, 0o666);
    chmodSync(folder, 0o555);
    const result = await probe(file);
    const failures = [result.open, result.settle].filter((r) => r !== 'ok' && r !== undefined) as string[];
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures)
      expect(failure).toMatch(/^DRAWDOWN_STORE_UNAVAILABLE: the drawdown ledger at .* (cannot be opened|is read-only)/);
    chmodSync(folder, 0o755);
  }, 60_000);

  it('fails closed with DRAWDOWN_STORE_UNAVAILABLE when a new ledger cannot be created in a read-only directory', async () => {
    const folder = join(dir, 'ro-empty-dir');
    mkdirSync(folder, { mode: 0o555 });
    chmodSync(folder, 0o555);
    const result = await probe(join(folder, 'ledger.sqlite'));
    expect(result.open).toMatch(
      /^DRAWDOWN_STORE_UNAVAILABLE: the drawdown ledger at .* does not exist and cannot be created \(EACCES\)/,
    );
    expect(readdirSync(folder)).toEqual([]);
    chmodSync(folder, 0o755);
  }, 60_000);

  it('refuses a charge on a full disk without recording any part of it, and records it once when space returns', async () => {
    const file = ledgerFile(dir);
    const db = openDatabase(file);
    db.exec('PRAGMA journal_mode = WAL');
    migrate(db, file, true);
    const store = sqliteLedger(db, { file, readonly: false, watchIntervalMs: 250 });
    const pages = pragmaValue(db, 'page_count') as number;
    db.exec(`PRAGMA max_page_count = ${pages + 2}`); // the file may grow by two pages: a stand-in for a full disk
    const meta = { model: 'claude-opus-4-7', route: 'x'.repeat(2000) };
    let failedKey: string | undefined;
    let error: unknown;
    let recorded = 0;
    for (let i = 0; i < 200 && failedKey === undefined; i++) {
      try {
        await store.settle({
          account: 'shared',
          key: `c${i}`,
          cost: usd('0.01'),
          now: NOW,
          scopes: ['day:2026-11-23@UTC'],
          day: '2026-11-23',
          meta,
        });
        recorded++;
      } catch (caught) {
        failedKey = `c${i}`;
        error = caught;
      }
    }
    expect(failedKey).toBeDefined();
    expect(error).toMatchObject({
      code: 'DRAWDOWN_STORE_UNAVAILABLE',
      message: expect.stringContaining('disk is full'),
      data: { sqliteCode: 'SQLITE_FULL' },
    });
    const snap = await store.snapshot({ account: 'shared', now: NOW, scopes: ['day:2026-11-23@UTC'] });
    expect(snap.settled).toEqual({ lifetime: usd('0.01') * recorded, 'day:2026-11-23@UTC': usd('0.01') * recorded });
    expect(await store.entries({ account: 'shared', kinds: ['charge'] })).toHaveLength(recorded);

    db.exec('PRAGMA max_page_count = 1000000');
    const retried = await store.settle({
      account: 'shared',
      key: failedKey!,
      cost: usd('0.01'),
      now: NOW,
      scopes: ['day:2026-11-23@UTC'],
      day: '2026-11-23',
      meta,
    });
    expect(retried.status).toBe('settled');
    expect(retried.totals.lifetime).toBe(usd('0.01') * (recorded + 1));
    await store.close();
  });
});
