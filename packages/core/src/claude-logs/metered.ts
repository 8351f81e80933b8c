import type { LedgerStore } from '../contracts/store.js';

/**
 * The request and message ids of every charge in a ledger: what drawdown metered itself. The log
 * reader leaves responses with these ids out of the observed spend, so nothing is counted twice.
 */
export async function meteredRequestIds(store: Pick<LedgerStore, 'entries'>): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const entry of await store.entries({ kinds: ['charge'] })) {
    if (entry.kind !== 'charge') continue;
    ids.add(entry.record.key);
    if (entry.meta.requestId !== undefined) ids.add(entry.meta.requestId);
  }
  ids.delete('');
  return ids;
}
