/** Every pool, as one JSON document. */
export const POOLS_URI = 'drawdown://pools';
/** One pool; `{id}` is the pool id. */
export const POOL_URI_TEMPLATE = 'drawdown://pools/{id}';

export const poolUri = (id: string): string => `${POOLS_URI}/${encodeURIComponent(id)}`;
