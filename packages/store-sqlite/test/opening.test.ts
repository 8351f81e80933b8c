import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { usd } from '@drawdown/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/driver.js';
import { defaultDatabasePath, sqliteStore } from '../src/index.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from '../src/schema.js';
import { ledgerFile, tempDir } from './helpers.js';

const dir = tempDir();
const NOW = Date.parse('2026-11-23T12:00:00Z');
/** The file's bytes, hashed: a refused file must hash the same afterwards. */
const digest = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const charge = { account: 'trial', key: 'k', cost: usd('1'), now: NOW, scopes: [], day: '2026-11-23' };

describe('defaultDatabasePath', () => {
  it('puts the ledger in XDG_DATA_HOME on Linux, falling back to ~/.local/share', () => {
    expect(defaultDatabasePath({ XDG_DATA_HOME: '/data', HOME: '/home/u' }, 'linux')).toBe(
      '/data/drawdown/ledger.sqlite',
    );
    expect(defaultDatabasePath({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.local/share/drawdown/ledger.sqlite');
  });

  it('uses Application Support on macOS and LOCALAPPDATA on Windows', () => {
    expect(defaultDatabasePath({ HOME: '/Users/u' }, 'darwin')).toBe(
      '/Users/u/Library/Application Support/drawdown/ledger.sqlite',
    );
    expect(defaultDatabasePath({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local', HOME: '/x' }, 'win32')).toBe(
      join('C:\\Users\\u\\AppData\\Local', 'drawdown', 'ledger.sqlite'),
    );
  });
});

describe('opening a ledger file', () => {
  const saved = { DRAWDOWN_DB: process.env.DRAWDOWN_DB, XDG_DATA_HOME: process.env.XDG_DATA_HOME };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it.runIf(process.platform === 'linux')(
    'creates the default file, and its directory, in the user data directory when nothing is configured',
    async () => {
      delete process.env.DRAWDOWN_DB;
      process.env.XDG_DATA_HOME = join(dir, 'xdg');
      const store = sqliteStore();
      await store.settle(charge);
      await store.close();
      expect(existsSync(join(dir, 'xdg', 'drawdown', 'ledger.sqlite'))).toBe(true);
    },
  );

  it('uses DRAWDOWN_DB when set, and keeps what was recorded across reopening', async () => {
    process.env.DRAWDOWN_DB = join(dir, 'from-env', 'ledger.sqlite');
    const first = sqliteStore();
    await first.settle(charge);
    await first.close();
    const again = sqliteStore({ file: process.env.DRAWDOWN_DB });
    expect((await again.snapshot({ account: 'trial', now: NOW })).settled.lifetime).toBe(usd('1'));
    await again.close();
  });

  it.each([
    [{ file: '' }, 'file'],
    [{ busyTimeoutMs: -1 }, 'busyTimeoutMs'],
    [{ watchIntervalMs: 0 }, 'watchIntervalMs'],
    [{ readonly: 'yes' as unknown as boolean }, 'readonly'],
    [{ maxBatch: 0 }, 'maxBatch'],
    [{ maxBatch: 2.5 }, 'maxBatch'],
  ])('refuses option %o naming the field', (options, field) => {
    expect(() => sqliteStore(options)).toThrow(
      expect.objectContaining({ code: 'DRAWDOWN_INVALID_OPTION', data: expect.objectContaining({ field }) }),
    );
  });

  it('refuses a ledger from a newer drawdown and leaves its bytes untouched', async () => {
    const file = ledgerFile(dir);
    await sqliteStore({ file }).close();
    const db = openDatabase(file);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const before = digest(file);
    expect(() => sqliteStore({ file })).toThrow(
      expect.objectContaining({
        code: 'DRAWDOWN_STORE_INCOMPATIBLE',
        data: expect.objectContaining({ version: SCHEMA_VERSION + 1 }),
      }),
    );
    expect(digest(file)).toBe(before);
  });

  it('upgrades a version-3 ledger, counting the charges it already had per hour', async () => {
    const file = ledgerFile(dir);
    const db = openDatabase(file);
    for (const migration of MIGRATIONS.filter((m) => m.version <= 3)) db.exec(migration.sql);
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = 3`);
    const insert = db.prepare(
      `INSERT INTO charges VALUES ('trial', ?, ?, ?, ?, '2026-11-23', 0, NULL, NULL, 0, 0, 0, 0, '{}')`,
    );
    insert.run('late', 3000, 3000, NOW + 100);
    insert.run('early', 1000, 1000, NOW);
    insert.run('free', 0, 0, NOW + 50);
    db.close();
    const store = sqliteStore({ file });
    await store.settle({ ...charge, key: 'after', cost: 500 });
    expect(await store.spendByHour({ account: 'trial', since: NOW - 1 })).toEqual([
      { start: NOW, charges: 3, cost: 4500, firstAt: NOW, firstCost: 1000, lastAt: NOW + 100, costMs: 300_000 },
    ]);
    await store.close();
  });

  it('refuses a corrupt file and leaves its bytes untouched', () => {
    const file = ledgerFile(dir);
    writeFileSync(file, Buffer.from('this is not a database, just some bytes that went wrong '.repeat(200)));
    const before = digest(file);
    expect(() => sqliteStore({ file })).toThrow(
      expect.objectContaining({ code: 'DRAWDOWN_STORE_INCOMPATIBLE', message: expect.stringContaining('corrupt') }),
    );
    expect(digest(file)).toBe(before);
  });

  it("refuses another application's SQLite database and leaves its bytes untouched", () => {
    const file = ledgerFile(dir);
    const db = openDatabase(file);
    db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')");
    db.close();
    const before = digest(file);
    expect(() => sqliteStore({ file })).toThrow(
      expect.objectContaining({
        code: 'DRAWDOWN_STORE_INCOMPATIBLE',
        message: expect.stringContaining('another application'),
      }),
    );
    expect(digest(file)).toBe(before);
  });

  it('reads but refuses to write when opened read-only', async () => {
    const file = ledgerFile(dir);
    const writer = sqliteStore({ file });
    await writer.settle(charge);
    const reader = sqliteStore({ file, readonly: true });
    expect((await reader.snapshot({ account: 'trial', now: NOW })).settled.lifetime).toBe(usd('1'));
    await expect(reader.settle({ ...charge, key: 'other' })).rejects.toMatchObject({
      code: 'DRAWDOWN_STORE_UNAVAILABLE',
      message: expect.stringContaining('read-only'),
    });
    await expect(reader.setState('x', 1)).rejects.toMatchObject({ code: 'DRAWDOWN_STORE_UNAVAILABLE' });
    await reader.close();
    await writer.close();
  });

  it('refuses an existing empty (0-byte) file instead of starting a fresh ledger in it, and leaves it untouched', async () => {
    const file = ledgerFile(dir);
    writeFileSync(file, '');
    const before = digest(file);
    for (const readonly of [false, true]) {
      expect(() => sqliteStore({ file, readonly })).toThrow(
        expect.objectContaining({
          code: 'DRAWDOWN_STORE_INCOMPATIBLE',
          message: expect.stringContaining('holds no drawdown ledger'),
          data: expect.objectContaining({ file }),
        }),
      );
    }
    expect(readFileSync(file)).toHaveLength(0);
    expect(digest(file)).toBe(before);
  });

  it('refuses a ledger truncated to 0 bytes after spending, so a spent budget does not come back', async () => {
    const file = ledgerFile(dir);
    const store = sqliteStore({ file });
    await store.settle(charge);
    await store.close();
    writeFileSync(file, '');
    expect(() => sqliteStore({ file })).toThrow(expect.objectContaining({ code: 'DRAWDOWN_STORE_INCOMPATIBLE' }));
    expect(readFileSync(file)).toHaveLength(0);
  });

  it('refuses a SQLite file with no tables and no drawdown mark (initialised by something else), leaving it untouched', () => {
    const file = ledgerFile(dir);
    const db = openDatabase(file);
    db.exec('PRAGMA journal_mode = WAL'); // writes a valid, empty database
    db.close();
    const before = digest(file);
    expect(() => sqliteStore({ file })).toThrow(
      expect.objectContaining({
        code: 'DRAWDOWN_STORE_INCOMPATIBLE',
        message: expect.stringContaining('holds no drawdown ledger'),
      }),
    );
    expect(digest(file)).toBe(before);
  });

  it('creates a new ledger in place of a missing file and leaves no draft file behind', async () => {
    const folder = join(dir, 'fresh');
    const file = join(folder, 'ledger.sqlite');
    const store = sqliteStore({ file });
    await store.settle(charge);
    await store.close();
    expect(readdirSync(folder).filter((name) => name !== 'ledger.sqlite')).toEqual([]);
    const again = sqliteStore({ file });
    expect((await again.snapshot({ account: 'trial', now: NOW })).settled.lifetime).toBe(usd('1'));
    await again.close();
  });

  it('refuses to open a missing file read-only', () => {
    expect(() => sqliteStore({ file: join(dir, 'missing.sqlite'), readonly: true })).toThrow(
      expect.objectContaining({ code: 'DRAWDOWN_STORE_UNAVAILABLE' }),
    );
  });
});
