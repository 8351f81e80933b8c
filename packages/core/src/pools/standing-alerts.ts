import { formatResetTime } from '../calendar.js';
import type { PluginContext } from '../contracts/plugin.js';
import type { PoolStatus } from '../contracts/pool.js';
import type { Nanos } from '../money.js';
import { claimObservedCrossing, crossedLevels, type SpendLevels } from './crossings.js';

/** Where a pool stands: `available`, `low` or `exhausted`. */
export type Standing = PoolStatus['state'];

/** A standing as a value the crossing rule compares: low and exhausted are its two levels. */
const RANK: Record<Standing, number> = { available: 0, low: 1, exhausted: 2 };
const STANDINGS: readonly Exclude<Standing, 'available'>[] = ['low', 'exhausted'];
const STANDING_LEVELS = STANDINGS.map((s) => RANK[s]);

type AlertContext = Pick<PluginContext, 'events' | 'timeZone'>;

/**
 * Emits `pool.low` or `pool.exhausted` for a pool now at `status`, in the words every pool but the
 * credits wallet uses: low says the summary; exhausted gives the reason and when it resets.
 */
export function announceStanding(
  ctx: AlertContext,
  poolId: string,
  standing: Exclude<Standing, 'available'>,
  status: PoolStatus,
  at: number,
): void {
  if (standing === 'low') {
    ctx.events.emit('pool.low', { poolId, status, message: status.summary, at });
    return;
  }
  const reason = status.reason ?? status.summary;
  const resets =
    status.resetsAt !== undefined ? `; resets at ${formatResetTime(status.resetsAt, ctx.timeZone, at)}` : '';
  ctx.events.emit('pool.exhausted', {
    poolId,
    status,
    reason,
    ...(status.resetsAt !== undefined && { resetsAt: status.resetsAt }),
    message: `${reason}${resets}`,
    at,
  });
}

/**
 * A pool's low and exhausted standings as spend levels of one scope (a share of a cap, and the
 * cap), announced as `pool.low` and `pool.exhausted` by the settle that crossed them. A settle that
 * carries spend over both announces only `pool.exhausted`: the pool went straight there.
 */
export function standingLevels(
  ctx: AlertContext,
  poolId: string,
  levels: { scope(now: number): string | undefined; low?: Nanos; exhausted: Nanos },
): SpendLevels {
  const { low, exhausted } = levels;
  return {
    scope: levels.scope,
    levels: low === undefined ? [exhausted] : [low, exhausted],
    announce({ index, spent, at }, status) {
      if (index === 0 && low !== undefined) {
        if (spent < exhausted) announceStanding(ctx, poolId, 'low', status, at);
      } else announceStanding(ctx, poolId, 'exhausted', status, at);
    },
  };
}

/**
 * Announces the standing an observation (a plan-limit header, a funds refusal) carried a pool to,
 * by the crossing rule on its standing `before` and `after` the observation was stored: only the
 * highest standing crossed, and once across processes, claimed after the stored value the
 * observation replaced (`from`). The pool's `status` is read only when there is something to announce.
 */
export async function announceObservedStanding(
  ctx: AlertContext & Pick<PluginContext, 'store'>,
  poolId: string,
  observed: { before: Standing; after: Standing; from: unknown; at: number },
  status: () => Promise<PoolStatus>,
): Promise<void> {
  const { before, after, from, at } = observed;
  const index = crossedLevels(STANDING_LEVELS, RANK[before], RANK[after]).at(-1);
  if (index === undefined) return;
  const standing = STANDINGS[index]!;
  if (await claimObservedCrossing(ctx.store, { name: `standing:${poolId}:${standing}`, from, now: at }))
    announceStanding(ctx, poolId, standing, await status(), at);
}
