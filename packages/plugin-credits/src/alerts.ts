import { randomUUID } from 'node:crypto';
import {
  calendarWindow,
  formatResetTime,
  formatUsd,
  shareOf,
  type AccountSnapshot,
  type PluginContext,
  type PoolStatus,
  type ScopedCrossing,
  type SettleResult,
  type SpendLevels,
} from '@drawdown/core';
import { balanceOf, fundingOf, MONTHLY_LIMIT, DAILY_LIMIT } from './caps.js';
import type { CreditsConfig } from './options.js';

/** Alert claims outlive any realistic low-balance episode. */
const CLAIM_TTL_MS = 400 * 86_400_000;

/**
 * `pool.low` and `pool.exhausted` for a credits wallet, each once per crossing across processes.
 * Cap crossings are spend levels declared to the wallet's ledger account (`levels`), which decides
 * them from the totals of the atomic settle (only the settle that carried spend over a line sees
 * it cross). Balance crossings are claimed in the store with a one-time lease named after the
 * threshold and the wallet's funding, which changes only when funds are added or expire:
 * whichever process claims it first announces.
 */
export function createAlerts(ctx: PluginContext, config: CreditsConfig, status: () => Promise<PoolStatus>) {
  const claimedHere = new Set<string>();
  const monthlyLimit = config.monthlyLimit;
  const dailyCeiling = config.dailyCeiling;

  /** The monthly shares (low), then the monthly limit itself (exhausted). */
  const monthly: SpendLevels = {
    scope: (now) => (monthlyLimit === undefined ? undefined : calendarWindow('month', now, ctx.timeZone).key),
    levels:
      monthlyLimit === undefined
        ? []
        : [...config.monthlyShares.map((share) => shareOf(monthlyLimit, share)), monthlyLimit],
  };
  /** The daily ceiling (exhausted). */
  const daily: SpendLevels = {
    scope: (now) => (dailyCeiling === undefined ? undefined : calendarWindow('day', now, ctx.timeZone).key),
    levels: dailyCeiling === undefined ? [] : [dailyCeiling],
  };

  async function claim(name: string, now: number): Promise<boolean> {
    if (claimedHere.has(name)) return false;
    claimedHere.add(name);
    return ctx.store.tryLease({
      name: `credits:${config.id}:alert:${name}`,
      owner: randomUUID(),
      ttlMs: CLAIM_TTL_MS,
      now,
    });
  }

  /** Announces what this settle crossed: `crossed` of `levels`, and the balance in `snap`, read right after it. */
  async function afterSettle(
    result: SettleResult,
    snap: AccountSnapshot,
    now: number,
    crossed: readonly ScopedCrossing[],
  ): Promise<void> {
    const lows: string[] = [];
    const exhausted: Array<{ reason: string; resetsAt?: number }> = [];
    // In the order of the settle's totals, as each scope's levels were always announced.
    for (const scope of Object.keys(result.totals)) {
      for (const { declaration, index } of crossed.filter((c) => c.scope === scope)) {
        const share = config.monthlyShares[index];
        if (declaration === monthly && monthlyLimit !== undefined && share !== undefined) {
          lows.push(
            `${config.label}: ${Math.round(share * 100)}% of the ${formatUsd(monthlyLimit)} ${MONTHLY_LIMIT} used`,
          );
        } else if (declaration === monthly && monthlyLimit !== undefined) {
          exhausted.push({
            reason: `${config.label}: the ${MONTHLY_LIMIT} of ${formatUsd(monthlyLimit)} is reached`,
            resetsAt: calendarWindow('month', now, ctx.timeZone).end,
          });
        } else if (declaration === daily && dailyCeiling !== undefined) {
          exhausted.push({
            reason: `${config.label}: the ${DAILY_LIMIT} of ${formatUsd(dailyCeiling)} is reached`,
            resetsAt: calendarWindow('day', now, ctx.timeZone).end,
          });
        }
      }
    }

    const balance = balanceOf(snap);
    const funding = fundingOf(snap);
    for (const below of config.balanceBelow) {
      if (balance < below && (await claim(`below:${below}:${funding}`, now))) {
        lows.push(`${config.label}: balance ${formatUsd(balance)} fell under ${formatUsd(below)}`);
      }
    }
    if (balance <= 0 && (await claim(`empty:${funding}`, now)))
      exhausted.push({ reason: `${config.label}: the credit balance is used up (${formatUsd(balance)})` });

    if (lows.length === 0 && exhausted.length === 0) return;
    const after = await status();
    for (const message of lows) ctx.events.emit('pool.low', { poolId: config.id, status: after, message, at: now });
    for (const { reason, resetsAt } of exhausted) {
      const message =
        resetsAt === undefined
          ? `${reason}; add funds`
          : `${reason}; it resets ${formatResetTime(resetsAt, ctx.timeZone, now)}`;
      ctx.events.emit('pool.exhausted', {
        poolId: config.id,
        status: after,
        reason,
        ...(resetsAt !== undefined && { resetsAt }),
        message,
        at: now,
      });
    }
  }

  return { levels: [monthly, daily], afterSettle };
}
