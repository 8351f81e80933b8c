import { isFundablePool, type AutoReloadPolicy, type FundablePool } from './contracts/pool.js';
import { DrawdownError } from './errors.js';
import type { Hub } from './hub.js';
import { formatUsd, usd, type Nanos } from './money.js';

/**
 * Changes of money a user makes by hand (add funds, set auto-reload), shared by every surface
 * that offers them (the MCP write tools, the CLI's `credits` commands): the same pool lookup, the
 * same checks and the same question put to the user before anything is charged. Each surface
 * raises the errors under its own codes and names the fields as its users type them.
 */
export interface FundingSurface {
  /** Code of an argument that is well-formed but makes no sense (a zero amount, no threshold). */
  invalidArgument: string;
  /** Code of a pool that cannot take funds or an auto-reload policy. */
  notFundable: string;
}

/** The named pool, if it can take funds; an error naming the fundable pools otherwise. */
export function fundablePool(hub: Hub, poolId: string, surface: FundingSurface): FundablePool {
  const pool = hub.pool(poolId);
  if (isFundablePool(pool)) return pool;
  const fundable = hub
    .pools()
    .filter(isFundablePool)
    .map((p) => `"${p.id}"`);
  throw new DrawdownError(
    surface.notFundable,
    `pool "${poolId}" (${pool.kind}) cannot take funds or an auto-reload policy; ${fundable.length > 0 ? `fundable pools: ${fundable.join(', ')}` : 'no pool of this hub can'}.`,
    { data: { poolId } },
  );
}

/** A USD amount above zero, as nanodollars; `field` names the argument in the error. */
export function positiveUsd(value: string, field: string, surface: FundingSurface): Nanos {
  const nanos = usd(value);
  if (nanos <= 0)
    throw new DrawdownError(surface.invalidArgument, `${field} must be more than zero; got "${value}".`, {
      data: { field },
    });
  return nanos;
}

/** An auto-reload request as typed: USD strings, each optional until checked. */
export interface AutoReloadRequest {
  enabled: boolean;
  threshold?: string | undefined;
  amount?: string | undefined;
  targetBalance?: string | undefined;
  monthlyLimit?: string | undefined;
}

/** What each field of an auto-reload request is called where the user typed it. */
export type AutoReloadFieldNames = Record<Exclude<keyof AutoReloadRequest, 'enabled'>, string>;

/** The policy a request asks for (`null` turns auto-reload off), or an error naming the field to fix. */
export function autoReloadPolicy(
  request: AutoReloadRequest,
  names: AutoReloadFieldNames,
  surface: FundingSurface,
): AutoReloadPolicy | null {
  if (!request.enabled) return null;
  const missing = (problem: string) =>
    new DrawdownError(surface.invalidArgument, problem, { data: { field: names.amount } });
  if (request.threshold === undefined)
    throw missing(`turning auto-reload on needs ${names.threshold}: reload when the balance falls below it.`);
  if ((request.amount === undefined) === (request.targetBalance === undefined)) {
    throw missing(
      `give exactly one of ${names.amount} (buy this much per reload) or ${names.targetBalance} (top the balance up to this).`,
    );
  }
  const policy: AutoReloadPolicy = {
    threshold: positiveUsd(request.threshold, names.threshold, surface),
    ...(request.amount !== undefined && { amount: positiveUsd(request.amount, names.amount, surface) }),
    ...(request.targetBalance !== undefined && {
      targetBalance: positiveUsd(request.targetBalance, names.targetBalance, surface),
    }),
    ...(request.monthlyLimit !== undefined && {
      monthlyLimit: positiveUsd(request.monthlyLimit, names.monthlyLimit, surface),
    }),
  };
  if (policy.targetBalance !== undefined && policy.targetBalance <= policy.threshold) {
    throw new DrawdownError(
      surface.invalidArgument,
      `${names.targetBalance} must be above ${names.threshold}, or a reload would not lift the balance over the trigger.`,
      { data: { field: names.targetBalance } },
    );
  }
  return policy;
}

/** The question put to the user before funds are added (their payment method is charged). */
export function addFundsQuestion(pool: FundablePool, amount: Nanos, summary: string): string {
  return `Add ${formatUsd(amount)} to "${pool.id}"? Your payment method is charged now. (${summary})`;
}

/** The question put to the user before an auto-reload policy is set or turned off. */
export function autoReloadQuestion(poolId: string, policy: AutoReloadPolicy | null): string {
  if (!policy) return `Turn auto-reload off for "${poolId}"? Requests are refused once its balance runs out.`;
  const what =
    policy.amount !== undefined ? `buy ${formatUsd(policy.amount)}` : `top up to ${formatUsd(policy.targetBalance!)}`;
  const cap =
    policy.monthlyLimit !== undefined
      ? `, at most ${formatUsd(policy.monthlyLimit)} a month`
      : ', with no monthly limit';
  return `Turn auto-reload on for "${poolId}": when the balance falls below ${formatUsd(policy.threshold)}, ${what} from your payment method${cap}?`;
}
