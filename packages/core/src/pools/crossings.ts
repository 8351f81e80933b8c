import { createHash, randomUUID } from 'node:crypto';
import type { PoolStatus } from '../contracts/pool.js';
import type { ChargeRecord, LedgerStore, SettleResult } from '../contracts/store.js';
import type { Nanos } from '../money.js';

/** A spend level a settle carried a scope's total over: from below `level` to at or above it. */
export interface Crossing {
  level: Nanos;
  /** Position of `level` in its declaration's `levels`. */
  index: number;
  /** The scope's total right after the settle. */
  spent: Nanos;
  at: number;
}

/** A crossing with where it happened: the ledger scope (e.g. `month:2026-11@UTC`) and the declaration. */
export interface ScopedCrossing extends Crossing {
  scope: string;
  declaration: SpendLevels;
}

/**
 * Spend levels of one ledger scope that a pool reports when crossed. Low and exhausted are just
 * levels of the same scope (e.g. 80% and 100% of a cap).
 */
export interface SpendLevels {
  /** The scope whose settled total is compared at `now`; `undefined` when the levels do not apply now. */
  scope(now: number): string | undefined;
  levels: readonly Nanos[];
  /**
   * Emits the pool's event for a crossing, with the pool's status read right after the settle.
   * Called right after `request.settled`. Leave it out to take the crossings in `afterSettle`
   * instead (a pool that announces them with other alerts).
   */
  announce?(crossing: Crossing, status: PoolStatus): void;
}

/**
 * The one crossing rule: the positions of the `levels` a value crossed going from `before` to
 * `after`, i.e. below a level before and at or above it after. A settled total and an observed
 * value (a plan's standing) are both decided by it.
 */
export function crossedLevels(levels: readonly number[], before: number, after: number): number[] {
  const crossed: number[] = [];
  for (const [index, level] of levels.entries()) if (before < level && after >= level) crossed.push(index);
  return crossed;
}

/**
 * The crossings of one stored settle, decided from its atomic result alone: the totals after the
 * settle against the same totals less its cost. Only the settle that carried a total over a level
 * sees it cross, so exactly one process reports each crossing, whichever process it runs in.
 */
export function crossingsOf(
  declarations: readonly SpendLevels[],
  result: Pick<SettleResult, 'totals'> & { charge: Pick<ChargeRecord, 'cost'> },
  now: number,
): ScopedCrossing[] {
  const crossed: ScopedCrossing[] = [];
  for (const declaration of declarations) {
    const scope = declaration.scope(now);
    if (scope === undefined) continue;
    const spent = result.totals[scope] ?? 0;
    for (const index of crossedLevels(declaration.levels, spent - result.charge.cost, spent)) {
      crossed.push({ level: declaration.levels[index]!, index, spent, at: now, scope, declaration });
    }
  }
  return crossed;
}

/** Far longer than one read-and-write of a shared value takes, the only time two processes can race. */
const OBSERVED_CLAIM_TTL_MS = 24 * 3_600_000;

/**
 * Whether this process announces a crossing decided from an observed value (a plan window, a funds
 * refusal) rather than from a settle. Such a value is read, changed and written back, so processes
 * that read the same stored value at once both see the crossing; the claim is a one-time store
 * lease named after that value (`from`), which exactly one of them takes. A later crossing is
 * decided from a later value, so it gets a claim of its own.
 */
export function claimObservedCrossing(
  store: LedgerStore,
  claim: { name: string; from: unknown; now: number },
): Promise<boolean> {
  const value = createHash('sha256')
    .update(JSON.stringify(claim.from ?? null))
    .digest('base64url')
    .slice(0, 16);
  return store.tryLease({
    name: `${claim.name}:${value}`,
    owner: randomUUID(),
    ttlMs: OBSERVED_CLAIM_TTL_MS,
    now: claim.now,
  });
}
