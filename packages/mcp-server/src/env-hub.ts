import { createHub, type Hub, type LedgerStore, type Logger } from '@drawdown/core';

/**
 * The hub `drawdown-mcp` serves when started on its own: the ledger in `DRAWDOWN_DB` (SQLite, when
 * `@drawdown/store-sqlite` is installed) or a memory ledger. Deliberately small: `drawdown mcp`
 * builds the hub from the user's configuration and calls `serveStdio` itself.
 */
export async function hubFromEnvironment(env: NodeJS.ProcessEnv, logger: Logger): Promise<Hub> {
  return createHub({ logger, ...(await storeFromEnvironment(env, logger)) });
}

async function storeFromEnvironment(env: NodeJS.ProcessEnv, logger: Logger): Promise<{ store?: LedgerStore }> {
  const file = env.DRAWDOWN_DB;
  if (!file) return {};
  // A computed specifier: the SQLite store is an optional peer, absent in lean installs.
  const specifier = ['@drawdown', 'store-sqlite'].join('/');
  const sqlite = (await import(specifier).catch(() => undefined)) as { sqliteStore?: (options: { file: string }) => LedgerStore } | undefined;
  if (!sqlite?.sqliteStore) {
    logger.warn(`DRAWDOWN_DB is set but @drawdown/store-sqlite is not installed; serving an empty memory ledger. Install it to read ${file}.`);
    return {};
  }
  return { store: sqlite.sqliteStore({ file }) };
}
