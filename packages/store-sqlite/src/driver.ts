import { createRequire } from 'node:module';
import type * as NodeSqlite from 'node:sqlite';
import { DrawdownError, ErrorCodes } from '@drawdown/core';

export type Database = NodeSqlite.DatabaseSync;
export type Statement = NodeSqlite.StatementSync;
export type SqlValue = NodeSqlite.SQLInputValue;

/** A statement whose answer is the first column of its first row (`undefined` when there is none). */
export interface ValueStatement {
  get(...params: SqlValue[]): unknown;
}

const require = createRequire(import.meta.url);
const EXPERIMENTAL = /SQLite is an experimental feature/;

/**
 * Node's built-in SQLite (`node:sqlite`, no native add-on to build or rebuild). On Node 22 loading
 * it prints an ExperimentalWarning; that one warning is dropped so CLI and MCP output stays
 * clean, and every other warning passes through unchanged.
 */
function loadNodeSqlite(): typeof NodeSqlite {
  const emitWarning = process.emitWarning;
  process.emitWarning = function filtered(this: unknown, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (typeof text === 'string' && EXPERIMENTAL.test(text)) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  let sqlite: typeof NodeSqlite;
  try {
    sqlite = require('node:sqlite') as typeof NodeSqlite;
  } catch (error) {
    throw new DrawdownError(
      ErrorCodes.STORE_UNAVAILABLE,
      `the SQLite store needs Node's built-in node:sqlite (Node 22.16 or later), which Node ${process.version} does not have. Run drawdown on Node 22.16+ or 24.`,
      {
        data: { store: 'sqlite', node: process.version },
        cause: error,
      },
    );
  } finally {
    process.emitWarning = emitWarning;
  }
  return sqlite;
}

let loaded: typeof NodeSqlite | undefined;

/** Opens a connection. `timeout` is how long a statement waits for another connection's lock. */
export function openDatabase(file: string, options: { readOnly?: boolean; timeout?: number } = {}): Database {
  loaded ??= loadNodeSqlite();
  const db = new loaded.DatabaseSync(file, {
    readOnly: options.readOnly ?? false,
    timeout: options.timeout ?? 5000,
    enableForeignKeyConstraints: false,
  });
  // isTransaction and the busy timeout option arrived in Node 22.16: an older 22.x would open the
  // file but wait for no lock and could not tell a rolled-back transaction.
  if (typeof db.isTransaction !== 'boolean') {
    db.close();
    throw new DrawdownError(
      ErrorCodes.STORE_UNAVAILABLE,
      `the SQLite store needs Node 22.16 or later (node:sqlite with busy timeouts); this is Node ${process.version}. Upgrade Node.`,
      {
        data: { store: 'sqlite', node: process.version },
      },
    );
  }
  return db;
}

/** Prepares a statement that answers with one value, like `PRAGMA user_version` or `SELECT count(*)`. */
export function prepareValue(db: Database, sql: string): ValueStatement {
  const statement = db.prepare(sql);
  statement.setReturnArrays(true);
  return { get: (...params) => (statement.get(...params) as unknown as unknown[] | undefined)?.[0] };
}

/** The current value of a pragma, e.g. `pragmaValue(db, 'synchronous')` → 2 for FULL. */
export function pragmaValue(db: Database, name: string): unknown {
  return prepareValue(db, `PRAGMA ${name}`).get();
}
