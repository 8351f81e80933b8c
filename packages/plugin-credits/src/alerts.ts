import { randomUUID } from 'node:crypto';
import {
  calendarWindow,
  formatResetTime,
  formatUsd,
  type AccountSnapshot,
  type PluginContext,
  type PoolStatus,
  type SettleResult,
} from '@drawdown/core';
import { balanceOf, fundingOf, MONTHLY_LIMIT, DAILY_LIMIT } from './caps.js';
import type { CreditsConfig } from './options.js';

/** Alert claims outlive any realistic low-balance episode. */
const CLAIM_TTL_MS = 400 * 86_400_000;
const SHARE_SCALE = 1_000_000;

const crossed = (before: number, after: number, threshold: bigint): boolean =>
  BigInt(before) * BigInt(SHARE_SCALE) < threshold && BigInt(after) * BigInt(SHARE_SCALE) >= threshold;

/**
 * `pool.low` and `pool.exhausted` for a credits wallet, each once per crossing across processes.
 * Cap crossings come from the totals of the atomic settle (only the settle that carried spend over
 * a line sees it cross). Balance crossings are claimed in the store with a one-time lease named
 * after the threshold and the wallet's funding, which changes only when funds are added or expire:
 * whichever process claims it first announces.
 */
export function createAlerts(ctx: PluginContext, config: CreditsConfig, status: () => Promise<PoolStatus>) {
  const claimedHere = new Set<string>();

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

  /** Announces what this settle crossed. `snap` was read right after it. */
  async function afterSettle(result: SettleResult, snap: AccountSnapshot, now: number): Promise<void> {
    const lows: string[] = [];
    const exhausted: Array<{ reason: string; resetsAt?: number }> = [];
    const cost = result.charge.cost;
    const current = new Set(ctx.placement(now).scopes);
    for (const [scope, after] of Object.entries(result.totals)) {
      const before = after - cost;
      // A charge that lands in a window already over (a late settle) crosses nothing that still binds.
      if (!current.has(scope)) continue;
      if (scope.startsWith('month:') && config.monthlyLimit !== undefined) {
        const cap = config.monthlyLimit;
        for (const share of config.monthlyShares) {
          if (crossed(before, after, BigInt(cap) * BigInt(Math.round(share * SHARE_SCALE)))) {
            lows.push(`${config.label}: ${Math.round(share * 100)}% of the ${formatUsd(cap)} ${MONTHLY_LIMIT} used`);
          }
        }
        if (crossed(before, after, BigInt(cap) * BigInt(SHARE_SCALE)))
          exhausted.push({
            reason: `${config.label}: the ${MONTHLY_LIMIT} of ${formatUsd(cap)} is reached`,
            resetsAt: calendarWindow('month', now, ctx.timeZone).end,
          });
      }
      if (
        scope.startsWith('day:') &&
        config.dailyCeiling !== undefined &&
        crossed(before, after, BigInt(config.dailyCeiling) * BigInt(SHARE_SCALE))
      ) {
        exhausted.push({
          reason: `${config.label}: the ${DAILY_LIMIT} of ${formatUsd(config.dailyCeiling)} is reached`,
          resetsAt: calendarWindow('day', now, ctx.timeZone).end,
        });
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

  return { afterSettle };
}
