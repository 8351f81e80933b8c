import type { ChargeRecord, SettleResult } from '../contracts/store.js';
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
   * Emits the pool's event for a crossing. Called right after `request.settled`. Leave it out to
   * take the crossings in `afterSettle` instead (a pool that announces them with other alerts).
   */
  announce?(crossing: Crossing): void;
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
    const before = spent - result.charge.cost;
    for (const [index, level] of declaration.levels.entries()) {
      if (before < level && spent >= level) crossed.push({ level, index, spent, at: now, scope, declaration });
    }
  }
  return crossed;
}
