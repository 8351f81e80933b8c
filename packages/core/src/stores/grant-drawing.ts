import { compareGrants, type ChargeRecord, type GrantInput, type GrantRecord } from '../contracts/store.js';
import type { Nanos } from '../money.js';

/**
 * How a funded account's grants pay: which grants count, what they can still give, how a charge
 * draws on them and how new money repays an overdraft. The stores keep grants their own way (in
 * memory, in SQLite rows) and apply these answers to them; PostgreSQL states the same rule in SQL.
 */

/** The grants that can pay at `now` (money left, not expired), in drawdown order. */
export function liveGrants(grants: Iterable<GrantRecord>, now: number): GrantRecord[] {
  return [...grants]
    .filter((g) => g.remaining > 0 && (g.expiresAt === undefined || g.expiresAt > now))
    .sort(compareGrants);
}

/** What the grants can still give: what they hold, less the overdraft they repay first and what holds set aside. */
export function grantFundsAvailable(live: readonly GrantRecord[], overdraft: Nanos, held: Nanos): Nanos {
  return live.reduce((sum, g) => sum + g.remaining, 0) - overdraft - held;
}

/**
 * Draws `cost` from `live` grants in drawdown order, each giving what it has until the cost is
 * met. What no grant covers is overdraft on an account that has had grants; an account that never
 * had any (a pool limited by caps alone) has no balance to overdraw and records none.
 */
export function drawFromGrants(
  live: readonly GrantRecord[],
  cost: Nanos,
  hasGrants: boolean,
): Pick<ChargeRecord, 'allocations' | 'overdraft'> {
  const allocations: ChargeRecord['allocations'] = [];
  let due = cost;
  for (const grant of live) {
    if (due <= 0) break;
    const take = Math.min(due, grant.remaining);
    due -= take;
    allocations.push({ grantId: grant.grantId, amount: take });
  }
  return { allocations, overdraft: hasGrants ? due : 0 };
}

/**
 * The record a new grant starts as. Money added while overdrawn pays the overdraft first: `repaid`
 * is what the store takes off the account's overdraft, and the grant keeps the rest.
 */
export function newGrant(input: GrantInput, overdraft: Nanos): { grant: GrantRecord; repaid: Nanos } {
  const repaid = Math.min(overdraft, input.amount);
  const grant: GrantRecord = {
    account: input.account,
    grantId: input.grantId,
    kind: input.kind,
    priority: input.priority ?? 0,
    amount: input.amount,
    remaining: input.amount - repaid,
    createdAt: input.now,
    ...(input.expiresAt !== undefined && { expiresAt: input.expiresAt }),
    ...(input.source !== undefined && { source: input.source }),
  };
  return { grant, repaid };
}
