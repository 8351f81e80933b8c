import { createRequire } from 'node:module';
import { DrawdownError, ErrorCodes, isDrawdownError, memoryStore, type LedgerStore } from '@drawdown/core';
import { importOptional } from '@drawdown/core/internal';
import { defaultDatabasePath, sqliteStore, sqliteStoreOptionProblems } from '@drawdown/store-sqlite';
import { configProblems } from '../config/option-problems.js';
import type { ConfigProblem, StoreConfig } from '../config/types.js';

/** drawdown's packages are released together: the PostgreSQL store to install is this CLI's version. */
const STORE_POSTGRES_RANGE = `^${(createRequire(import.meta.url)('../../package.json') as { version: string }).version}`;

/** The store kinds a configuration can name. */
export const storeKinds: readonly string[] = ['sqlite', 'postgres', 'memory'] satisfies Array<StoreConfig['kind']>;

type PostgresStoreModule = typeof import('@drawdown/store-postgres');

// An optional peer dependency: only teams sharing a ledger on PostgreSQL install it (and pg).
const loadPostgresStore = (): Promise<PostgresStoreModule> =>
  importOptional(
    '@drawdown/store-postgres',
    STORE_POSTGRES_RANGE,
    'store { "kind": "postgres" }',
    () => import('@drawdown/store-postgres'),
  );

/** What the configured store's package is given: its file, or its database and schema. */
const sqliteOptions = (store: { file?: string }, env: NodeJS.ProcessEnv) => ({
  file: store.file ?? defaultDatabasePath(env),
});
const postgresOptions = (store: { connectionString: string; schema?: string }) => ({
  connectionString: store.connectionString,
  ...(store.schema !== undefined && { schema: store.schema }),
});

/**
 * Every problem of the configured store's options, found by the store package's own checker, so
 * what the check accepts is what opening the store accepts. A PostgreSQL store whose package is
 * not installed has nothing to check its options with; opening it says what to install.
 */
export async function storeProblems(
  config: StoreConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ConfigProblem[]> {
  switch (config?.kind) {
    case 'sqlite':
      return configProblems('store', sqliteStoreOptionProblems(sqliteOptions(config, env)));
    case 'postgres': {
      let postgres: PostgresStoreModule;
      try {
        postgres = await loadPostgresStore();
      } catch (error) {
        if (isDrawdownError(error, ErrorCodes.MISSING_PACKAGE)) return [];
        throw error;
      }
      return configProblems('store', postgres.postgresStoreOptionProblems(postgresOptions(config)));
    }
    default:
      return [];
  }
}

/**
 * Opens the configured ledger store; the embedded SQLite file when nothing is configured (its
 * default place under the HOME of `env`, the environment the command runs in).
 */
export async function openStore(
  config: StoreConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LedgerStore> {
  const store = config ?? { kind: 'sqlite' as const };
  try {
    switch (store.kind) {
      case 'memory':
        return memoryStore();
      case 'sqlite':
        return sqliteStore(sqliteOptions(store, env));
      case 'postgres':
        return await (await loadPostgresStore()).postgresStore(postgresOptions(store));
    }
  } catch (error) {
    throw withOpeningHint(error, store);
  }
}

/**
 * What to do about a store that would not open. A runtime too old for the store, or a ledger
 * that was refused and left untouched, is not fixed by editing the store settings, so those get
 * their own hint; other failures keep the CLI's general store hint.
 */
function withOpeningHint(error: unknown, store: StoreConfig): unknown {
  if (!isDrawdownError(error)) return error;
  const { kind } = store;
  const { data } = error;
  if (typeof data.hint === 'string') return error;
  let hint: string | undefined;
  if (typeof data.node === 'string') {
    hint = `Run drawdown on Node 22.16 or later, or Node 24 (this is ${data.node}; check with "node --version").`;
  } else if (typeof data.pgCode === 'string' && store.kind === 'postgres') {
    hint = postgresHint(data.pgCode, store.connectionString);
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

/**
 * What to do about a PostgreSQL server that answered but refused: the database or user the
 * connection string names does not exist, or cannot connect. drawdown creates neither itself.
 */
function postgresHint(pgCode: string, connectionString: string): string | undefined {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return undefined;
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || url.username || 'postgres';
  const target = `-h ${url.hostname || 'localhost'} -p ${url.port || '5432'}${url.username ? ` -U ${decodeURIComponent(url.username)}` : ''}`;
  if (pgCode === '3D000')
    return `Create the database: createdb ${target} ${database} (or CREATE DATABASE "${database}"; in psql), or point store.connectionString at one that exists.`;
  if (pgCode === '28000' || pgCode === '28P01')
    return 'Fix the user or password in store.connectionString (or PGUSER and PGPASSWORD), or create the role in PostgreSQL.';
  if (pgCode === 'ECONNREFUSED' || pgCode === 'ENOTFOUND')
    return `Start PostgreSQL at ${url.hostname || 'localhost'}:${url.port || '5432'}, or fix the host and port in store.connectionString.`;
  return undefined;
}

/** Where the ledger is, for people (never prints a password). */
export function describeStore(config: StoreConfig | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const store = config ?? { kind: 'sqlite' as const };
  switch (store.kind) {
    case 'memory':
      return 'memory (nothing is kept after the command)';
    case 'sqlite':
      return `sqlite ${store.file ?? defaultDatabasePath(env)}`;
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
