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
    const child = spawn(process.execPath, ['--conditions=drawdown-source', '--import', 'tsx', join(here, 'fixtures', 'create-keys.ts'), db, prefix, String(PER_PROCESS), String(startAt)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as string[]) : reject(new Error(`create-keys ${prefix} exited ${code}: ${stderr}`))));
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
    expect(records.map((r) => r.name).sort()).toEqual(['before', ...Array.from({ length: PER_PROCESS }, (_, i) => [`left-${i}`, `right-${i}`]).flat()].sort());
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(records.filter((r) => r.name !== 'before').map((r) => r.id).sort()).toEqual([...left, ...right].sort());
    expect(records.find((r) => r.name === 'before')!.revokedAt).toBeTypeOf('number');
    await store.close();
  }, 120_000);
});
