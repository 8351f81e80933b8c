import { createRequire } from 'node:module';
import { importOptional, memoryStore, type LedgerStore } from '@drawdown/core';
import { defaultDatabasePath, sqliteStore } from '@drawdown/store-sqlite';
import type { StoreConfig } from '../config/types.js';

/** drawdown's packages are released together: the PostgreSQL store to install is this CLI's version. */
const STORE_POSTGRES_RANGE = `^${(createRequire(import.meta.url)('../../package.json') as { version: string }).version}`;

/** Opens the configured ledger store; the embedded SQLite file when nothing is configured. */
export async function openStore(config: StoreConfig | undefined): Promise<LedgerStore> {
  const store = config ?? { kind: 'sqlite' as const };
  switch (store.kind) {
    case 'memory':
      return memoryStore();
    case 'sqlite':
      return sqliteStore({ file: store.file ?? defaultDatabasePath() });
    case 'postgres': {
      // An optional peer dependency: only teams sharing a ledger on PostgreSQL install it (and pg).
      const { postgresStore } = await importOptional('@drawdown/store-postgres', STORE_POSTGRES_RANGE, 'store { "kind": "postgres" }', () => import('@drawdown/store-postgres'));
      return postgresStore({ connectionString: store.connectionString, ...(store.schema !== undefined && { schema: store.schema }) });
    }
  }
}

/** Where the ledger is, for people (never prints a password). */
export function describeStore(config: StoreConfig | undefined): string {
  const store = config ?? { kind: 'sqlite' as const };
  switch (store.kind) {
    case 'memory':
      return 'memory (nothing is kept after the command)';
    case 'sqlite':
      return `sqlite ${store.file ?? defaultDatabasePath()}`;
    case 'postgres':
      return `postgres ${redactUrl(store.connectionString)}${store.schema !== undefined ? ` schema ${store.schema}` : ''}`;
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
