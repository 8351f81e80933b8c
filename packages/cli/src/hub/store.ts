import { createRequire } from 'node:module';
import { DrawdownError, ErrorCodes, isDrawdownError, memoryStore, type LedgerStore } from '@drawdown/core';
import { importOptional } from '@drawdown/core/internal';
import { defaultDatabasePath, sqliteStore } from '@drawdown/store-sqlite';
import type { StoreConfig } from '../config/types.js';

/** drawdown's packages are released together: the PostgreSQL store to install is this CLI's version. */
const STORE_POSTGRES_RANGE = `^${(createRequire(import.meta.url)('../../package.json') as { version: string }).version}`;

/** Opens the configured ledger store; the embedded SQLite file when nothing is configured. */
export async function openStore(config: StoreConfig | undefined): Promise<LedgerStore> {
  const store = config ?? { kind: 'sqlite' as const };
  try {
    switch (store.kind) {
      case 'memory':
        return memoryStore();
      case 'sqlite':
        return sqliteStore({ file: store.file ?? defaultDatabasePath() });
      case 'postgres': {
        // An optional peer dependency: only teams sharing a ledger on PostgreSQL install it (and pg).
        const { postgresStore } = await importOptional(
          '@drawdown/store-postgres',
          STORE_POSTGRES_RANGE,
          'store { "kind": "postgres" }',
          () => import('@drawdown/store-postgres'),
        );
        return await postgresStore({
          connectionString: store.connectionString,
          ...(store.schema !== undefined && { schema: store.schema }),
        });
      }
    }
  } catch (error) {
    throw withOpeningHint(error, store.kind);
  }
}

/**
 * What to do about a store that would not open. A runtime too old for the store, or a ledger
 * that was refused and left untouched, is not fixed by editing the store settings, so those get
 * their own hint; other failures keep the CLI's general store hint.
 */
function withOpeningHint(error: unknown, kind: StoreConfig['kind']): unknown {
  if (!isDrawdownError(error)) return error;
  const { data } = error;
  if (typeof data.hint === 'string') return error;
  let hint: string | undefined;
  if (typeof data.node === 'string') {
    hint = `Run drawdown on Node 22.16 or later, or Node 24 (this is ${data.node}; check with "node --version").`;
  } else if (error.code === ErrorCodes.STORE_INCOMPATIBLE && kind === 'sqlite') {
    hint =
      'The file was left as it is. Restore the ledger from a backup, upgrade drawdown if the ledger is newer, or point DRAWDOWN_DB (or "store" in drawdown.config.json) at another file.';
  } else if (error.code === ErrorCodes.STORE_INCOMPATIBLE) {
    hint =
      'The schema was left as it is. Upgrade drawdown, or point "store" in drawdown.config.json at another schema.';
  }
  if (hint === undefined) return error;
  return new DrawdownError(error.code, error.message, { data: { ...data, hint }, cause: error.cause });
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
