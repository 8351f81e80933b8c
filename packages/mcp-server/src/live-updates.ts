import type { Hub } from '@drawdown/core';
import { POOLS_URI, poolUri } from './uris.js';

/** Bursts of ledger changes (a reserve and its settle) within this window become one update. */
const COALESCE_MS = 10;

/**
 * Calls `onChange` with the resource URIs whose contents may have changed, whenever the ledger
 * changes (here or, through the store's watch, in another process) or a pool crosses a state. A
 * change without a pool id (route state) touches every pool.
 */
export function watchPoolResources(hub: Hub, onChange: (uris: string[]) => void): () => void {
  const dirty = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const uris = [...dirty];
    dirty.clear();
    onChange(uris);
  };
  const touch = (poolId: string | undefined): void => {
    dirty.add(POOLS_URI);
    for (const id of poolId === undefined ? hub.pools().map((p) => p.id) : [poolId]) dirty.add(poolUri(id));
    timer ??= setTimeout(flush, COALESCE_MS);
    timer.unref?.();
  };
  const stops = [
    hub.on('ledger.changed', ({ poolId }) => touch(poolId)),
    hub.on('pool.low', ({ poolId }) => touch(poolId)),
    hub.on('pool.exhausted', ({ poolId }) => touch(poolId)),
    hub.on('pool.reset', ({ poolId }) => touch(poolId)),
  ];
  return () => {
    for (const stop of stops) stop();
    clearTimeout(timer);
  };
}
