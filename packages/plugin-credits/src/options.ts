import { invalidOption, usd, type AutoReloadPolicy, type Nanos } from '@drawdown/core';
import type { PaymentProvider } from './payment-provider.js';

/** A USD amount as a decimal string: `"25"`, `"25.00"`, `"0.50"`. */
export type UsdAmount = string;

export interface AutoReloadOptions {
  /** Reload when the balance falls below this. */
  threshold: UsdAmount;
  /** Buy exactly this much... */
  amount?: UsdAmount;
  /** ...or top the balance up to this. Exactly one of `amount` / `targetBalance`. */
  targetBalance?: UsdAmount;
  /** At most this much reloaded per calendar month (hub time zone); unlimited when absent. */
  monthlyLimit?: UsdAmount;
  /** Consecutive failed attempts after which auto-reload turns itself off. Default 3. */
  maxFailures?: number;
  /** Waits between attempts in ms; the last value repeats. Default `[1000, 5000, 30000]`. */
  backoffMs?: number[];
}

export interface AlertOptions {
  /** Shares of the monthly spend limit that raise `pool.low` once each. Default `[0.5, 0.8, 0.95]`. */
  monthlyLimitShares?: number[];
  /** Balances that raise `pool.low` once each when the balance falls under them. Default none. */
  balanceBelow?: UsdAmount[];
}

export interface PromotionalGrantOption {
  /** Stable id: the grant is added once per wallet however often the hub starts. */
  id: string;
  amount: UsdAmount;
  /** When the promotion's remainder stops counting (ISO string, epoch ms or Date)... */
  expiresAt?: string | number | Date;
  /** ...or this many days after the grant is first added. */
  expiresInDays?: number;
  /** Lower numbers are drawn first. Default 0. */
  priority?: number;
}

export interface CreditsOptions {
  /** Pool id used in routes. Default `credits`. */
  id?: string;
  /** Where funds come from: `manualProvider()`, `stripeProvider({...})` or your own. */
  provider: PaymentProvider;
  /** Customer reference passed to the provider on every charge. */
  customer?: string;
  /** Monthly spend limit, or `unlimited` (the default). */
  monthlyLimit?: UsdAmount | 'unlimited';
  /** Redemption ceiling per calendar day in the hub's time zone. Default `"2000"`. */
  dailyCeiling?: UsdAmount | 'unlimited';
  /** Top up automatically when the balance runs low. `setAutoReload` changes it at run time. */
  autoReload?: AutoReloadOptions;
  alerts?: AlertOptions;
  /** Promotional grants added when the wallet starts (each once, by id). */
  promotional?: PromotionalGrantOption[];
  /** How long one process may hold the reload lease before another may take over, in ms. Default 300000. */
  reloadLeaseMs?: number;
  /** What people call it in messages. Default `credits`. */
  label?: string;
}

export interface ReloadSettings {
  maxFailures: number;
  backoffMs: number[];
}

export interface PromotionalGrant {
  grantId: string;
  amount: Nanos;
  priority: number;
  expiresAt?: number;
  expiresInMs?: number;
}

/** Options checked and converted to exact amounts. */
export interface CreditsConfig {
  id: string;
  label: string;
  provider: PaymentProvider;
  customer?: string;
  monthlyLimit?: Nanos;
  dailyCeiling?: Nanos;
  autoReload?: AutoReloadPolicy;
  reload: ReloadSettings;
  monthlyShares: number[];
  balanceBelow: Nanos[];
  promotional: PromotionalGrant[];
  reloadLeaseMs: number;
}

const ID = /^[a-z0-9][a-z0-9._-]*$/i;
const DAY_MS = 86_400_000;

/** Parses a USD amount option, naming the field when it is not one. */
export function amountOption(
  owner: string,
  field: string,
  value: unknown,
  rule: 'positive' | 'non-negative' = 'positive',
): Nanos {
  let nanos: Nanos;
  try {
    if (typeof value !== 'string' && typeof value !== 'number') throw new Error('not an amount');
    nanos = usd(value);
  } catch {
    throw invalidOption(
      owner,
      field,
      `is ${JSON.stringify(value)}, not a USD amount`,
      'Write it as a decimal string like "25.00".',
    );
  }
  if (rule === 'positive' ? nanos <= 0 : nanos < 0) {
    throw invalidOption(
      owner,
      field,
      `is ${JSON.stringify(value)}`,
      rule === 'positive' ? 'Use an amount above zero.' : 'Use zero or more.',
    );
  }
  return nanos;
}

const capOption = (owner: string, field: string, value: unknown, fallback: string): Nanos | undefined =>
  (value ?? fallback) === 'unlimited' ? undefined : amountOption(owner, field, value ?? fallback);

/** Checks an auto-reload policy given in nanodollars (`setAutoReload`, or converted options). */
export function checkPolicy(owner: string, field: string, policy: AutoReloadPolicy): AutoReloadPolicy {
  const nanos = (name: keyof AutoReloadPolicy, rule: 'positive' | 'non-negative'): void => {
    const v = policy[name];
    if (v === undefined) return;
    if (!Number.isSafeInteger(v) || (rule === 'positive' ? v <= 0 : v < 0)) {
      throw invalidOption(
        owner,
        `${field}.${name}`,
        `is ${String(v)}`,
        `Use a whole number of nanodollars ${rule === 'positive' ? 'above' : 'of at least'} zero, e.g. usd("25").`,
      );
    }
  };
  if (!policy || typeof policy !== 'object')
    throw invalidOption(
      owner,
      field,
      'is not an object',
      'Pass { threshold, amount } or { threshold, targetBalance }.',
    );
  if (policy.threshold === undefined)
    throw invalidOption(owner, `${field}.threshold`, 'is missing', 'Say below which balance to reload, e.g. "10".');
  nanos('threshold', 'non-negative');
  nanos('amount', 'positive');
  nanos('targetBalance', 'positive');
  nanos('monthlyLimit', 'positive');
  if ((policy.amount === undefined) === (policy.targetBalance === undefined)) {
    throw invalidOption(
      owner,
      `${field}.amount`,
      'and targetBalance are both set or both missing',
      'Give exactly one: a fixed amount to buy, or a balance to top up to.',
    );
  }
  if (policy.targetBalance !== undefined && policy.targetBalance <= policy.threshold) {
    throw invalidOption(
      owner,
      `${field}.targetBalance`,
      'is not above the threshold',
      'Top up to more than the threshold, or a reload would not lift the balance over it.',
    );
  }
  return {
    threshold: policy.threshold,
    ...(policy.amount !== undefined && { amount: policy.amount }),
    ...(policy.targetBalance !== undefined && { targetBalance: policy.targetBalance }),
    ...(policy.monthlyLimit !== undefined && { monthlyLimit: policy.monthlyLimit }),
  };
}

function reloadSettings(owner: string, options: AutoReloadOptions | undefined): ReloadSettings {
  const maxFailures = options?.maxFailures ?? 3;
  if (!Number.isSafeInteger(maxFailures) || maxFailures < 1)
    throw invalidOption(
      owner,
      'autoReload.maxFailures',
      `is ${String(maxFailures)}`,
      'Use a whole number of at least 1, like 3.',
    );
  const backoffMs = options?.backoffMs ?? [1000, 5000, 30_000];
  if (!Array.isArray(backoffMs) || backoffMs.length === 0)
    throw invalidOption(owner, 'autoReload.backoffMs', 'is not a list of waits', 'Write it like [1000, 5000, 30000].');
  backoffMs.forEach((ms, i) => {
    if (!Number.isSafeInteger(ms) || ms < 0)
      throw invalidOption(
        owner,
        `autoReload.backoffMs[${i}]`,
        `is ${String(ms)}`,
        'Use whole milliseconds of zero or more.',
      );
  });
  return { maxFailures, backoffMs: [...backoffMs] };
}

function expiryOption(owner: string, field: string, value: string | number | Date): number {
  const at = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(at))
    throw invalidOption(
      owner,
      field,
      `is ${JSON.stringify(value)}, not a time`,
      'Use an ISO time like "2027-03-01T00:00:00Z", epoch ms or a Date.',
    );
  return at;
}

function promotionalOption(owner: string, list: PromotionalGrantOption[] | undefined): PromotionalGrant[] {
  if (list === undefined) return [];
  if (!Array.isArray(list))
    throw invalidOption(
      owner,
      'promotional',
      'is not a list',
      'Write it like [{ id: "welcome", amount: "5", expiresInDays: 90 }].',
    );
  const seen = new Set<string>();
  return list.map((p, i) => {
    const field = `promotional[${i}]`;
    if (!p || typeof p.id !== 'string' || !ID.test(p.id) || seen.has(p.id)) {
      throw invalidOption(
        owner,
        `${field}.id`,
        'is missing, malformed or repeated',
        'Give each promotion its own short id, like "welcome".',
      );
    }
    seen.add(p.id);
    const priority = p.priority ?? 0;
    if (!Number.isSafeInteger(priority))
      throw invalidOption(
        owner,
        `${field}.priority`,
        `is ${String(priority)}`,
        'Use a whole number; lower is drawn first.',
      );
    if (p.expiresAt !== undefined && p.expiresInDays !== undefined)
      throw invalidOption(owner, `${field}.expiresAt`, 'and expiresInDays are both set', 'Give one of them.');
    if (p.expiresInDays !== undefined && !(Number.isFinite(p.expiresInDays) && p.expiresInDays > 0)) {
      throw invalidOption(
        owner,
        `${field}.expiresInDays`,
        `is ${String(p.expiresInDays)}`,
        'Use a number of days above zero, like 90.',
      );
    }
    return {
      grantId: `promo:${p.id}`,
      amount: amountOption(owner, `${field}.amount`, p.amount),
      priority,
      ...(p.expiresAt !== undefined && { expiresAt: expiryOption(owner, `${field}.expiresAt`, p.expiresAt) }),
      ...(p.expiresInDays !== undefined && { expiresInMs: Math.round(p.expiresInDays * DAY_MS) }),
    };
  });
}

/** Validates `credits()` options; every problem names its field. */
export function parseCreditsOptions(options: CreditsOptions): CreditsConfig {
  const owner = `credits("${options?.id ?? 'credits'}")`;
  if (!options || typeof options !== 'object')
    throw invalidOption(owner, 'options', 'are missing', 'Pass at least { provider }.');
  const id = options.id ?? 'credits';
  if (typeof id !== 'string' || !ID.test(id))
    throw invalidOption(
      owner,
      'id',
      'must be a short name of letters, digits, ".", "_" or "-"',
      'Use something like "credits".',
    );
  const provider = options.provider;
  if (!provider || typeof provider.id !== 'string' || typeof provider.charge !== 'function') {
    throw invalidOption(
      owner,
      'provider',
      'is not a payment provider',
      'Pass manualProvider(), stripeProvider({...}) or an object with id and charge().',
    );
  }
  if (options.customer !== undefined && (typeof options.customer !== 'string' || options.customer === '')) {
    throw invalidOption(
      owner,
      'customer',
      'is not a non-empty string',
      'Pass the customer reference your provider knows, e.g. "cus_123".',
    );
  }
  const monthlyLimit = capOption(owner, 'monthlyLimit', options.monthlyLimit, 'unlimited');
  const dailyCeiling = capOption(owner, 'dailyCeiling', options.dailyCeiling, '2000');

  let autoReload: AutoReloadPolicy | undefined;
  const ar = options.autoReload;
  if (ar !== undefined) {
    if (!ar || typeof ar !== 'object')
      throw invalidOption(owner, 'autoReload', 'is not an object', 'Pass { threshold: "10", amount: "25" }.');
    autoReload = checkPolicy(owner, 'autoReload', {
      threshold: amountOption(owner, 'autoReload.threshold', ar.threshold, 'non-negative'),
      ...(ar.amount !== undefined && { amount: amountOption(owner, 'autoReload.amount', ar.amount) }),
      ...(ar.targetBalance !== undefined && {
        targetBalance: amountOption(owner, 'autoReload.targetBalance', ar.targetBalance),
      }),
      ...(ar.monthlyLimit !== undefined && {
        monthlyLimit: amountOption(owner, 'autoReload.monthlyLimit', ar.monthlyLimit),
      }),
    });
  }

  const shares = [...(options.alerts?.monthlyLimitShares ?? [0.5, 0.8, 0.95])].sort((a, b) => a - b);
  shares.forEach((share, i) => {
    if (!(typeof share === 'number' && share > 0 && share < 1)) {
      throw invalidOption(
        owner,
        `alerts.monthlyLimitShares[${i}]`,
        `is ${String(share)}`,
        'Use shares between 0 and 1, like 0.8 (reaching the limit raises pool.exhausted).',
      );
    }
  });
  const balanceBelow = (options.alerts?.balanceBelow ?? [])
    .map((v, i) => amountOption(owner, `alerts.balanceBelow[${i}]`, v))
    .sort((a, b) => b - a);

  const reloadLeaseMs = options.reloadLeaseMs ?? 300_000;
  if (!Number.isSafeInteger(reloadLeaseMs) || reloadLeaseMs < 1000)
    throw invalidOption(
      owner,
      'reloadLeaseMs',
      `is ${String(reloadLeaseMs)}`,
      'Use at least 1000 ms; longer than one payment attempt takes.',
    );
  const label = options.label ?? 'credits';
  if (typeof label !== 'string' || label.trim() === '')
    throw invalidOption(owner, 'label', 'is empty', 'Use words people read, like "credits".');

  return {
    id,
    label,
    provider,
    ...(options.customer !== undefined && { customer: options.customer }),
    ...(monthlyLimit !== undefined && { monthlyLimit }),
    ...(dailyCeiling !== undefined && { dailyCeiling }),
    ...(autoReload && { autoReload }),
    reload: reloadSettings(owner, ar),
    monthlyShares: shares,
    balanceBelow,
    promotional: promotionalOption(owner, options.promotional),
    reloadLeaseMs,
  };
}
