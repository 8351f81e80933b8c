import {
  formatResetTime,
  formatUsd,
  toDecimalString,
  type AccountSnapshot,
  type AutoReloadPolicy,
  type Nanos,
  type PoolLimitStatus,
  type PoolStatus,
} from '@drawdown/core';
import { BALANCE_LIMIT, balanceOf, fundingOf, type CapWindow } from './caps.js';
import type { CreditsConfig } from './options.js';
import type { PolicyRecord, ReloadRecord } from './reload-state.js';

/** `status().details` of a credits pool. JSON-safe; money as exact decimal strings. */
export interface CreditsStatusDetails {
  provider: string;
  balanceUsd: string;
  /** Balance less active holds: what new requests can still reserve. */
  availableUsd: string;
  heldUsd: string;
  /** Cost no grant covered (true cost above what was left); repaid first by the next grant. */
  overdraftUsd: string;
  /** Unexpired grants with funds left, in drawdown order. */
  grants: Array<{
    grantId: string;
    kind: string;
    priority: number;
    amountUsd: string;
    remainingUsd: string;
    createdAt: number;
    expiresAt?: number;
    source?: string;
  }>;
  caps: Array<{
    name: string;
    period: 'month' | 'day';
    limitUsd: string;
    spentUsd: string;
    leftUsd: string;
    resetsAt: number;
  }>;
  /** `unlimited` caps are listed here by name. */
  unlimited: string[];
  autoReload: {
    state: 'off' | 'armed' | 'reloading' | 'disabled';
    policy: { thresholdUsd: string; amountUsd?: string; targetBalanceUsd?: string; monthlyLimitUsd?: string } | null;
    /** Why auto-reload turned itself off; `setAutoReload` turns it back on. */
    disabledReason?: string;
    failures: number;
    maxFailures: number;
    reloadedThisMonthUsd: string;
    pendingAmountUsd?: string;
    lastReload?: { at: number; amountUsd: string; grantId: string };
    lastFailure?: { at: number; message: string };
  };
}

export interface StatusInput {
  config: CreditsConfig;
  snap: AccountSnapshot;
  caps: CapWindow[];
  policy: PolicyRecord;
  reload: ReloadRecord;
  timeZone: string;
  now: number;
}

const usdOrNone = (v: Nanos | undefined): string | undefined => (v === undefined ? undefined : toDecimalString(v));

function policyDetails(policy: AutoReloadPolicy | null): CreditsStatusDetails['autoReload']['policy'] {
  if (!policy) return null;
  const out: NonNullable<CreditsStatusDetails['autoReload']['policy']> = {
    thresholdUsd: toDecimalString(policy.threshold),
  };
  if (policy.amount !== undefined) out.amountUsd = usdOrNone(policy.amount)!;
  if (policy.targetBalance !== undefined) out.targetBalanceUsd = usdOrNone(policy.targetBalance)!;
  if (policy.monthlyLimit !== undefined) out.monthlyLimitUsd = usdOrNone(policy.monthlyLimit)!;
  return out;
}

/** Builds a credits pool's status from one snapshot. */
export function buildStatus(input: StatusInput): PoolStatus {
  const { config, snap, caps, timeZone, now } = input;
  const { policy, version } = input.policy;
  const balance = balanceOf(snap);
  const available = balance - snap.held;
  const capRows = caps.map((c) => {
    const spent = snap.settled[c.window.key] ?? 0;
    return { ...c, spent, left: c.cap - spent - snap.held };
  });

  const binding = capRows.reduce<(typeof capRows)[number] | undefined>(
    (min, c) => (c.left < (min?.left ?? available) ? c : min),
    undefined,
  );
  const remaining = binding ? binding.left : available;
  const exhaustedCap = capRows.find((c) => c.spent >= c.cap);
  const emptied = balance <= 0;
  const lowBalance = Math.max(policy?.threshold ?? 0, ...config.balanceBelow);
  const monthly = capRows.find((c) => c.window.period === 'month');
  const firstShare = config.monthlyShares[0];
  const low =
    balance < lowBalance ||
    (monthly !== undefined && firstShare !== undefined && monthly.spent >= monthly.cap * firstShare);
  const state: PoolStatus['state'] = exhaustedCap || emptied ? 'exhausted' : low ? 'low' : 'available';

  // The reset that matters: of the cap that is reached; none when only funds can help.
  const resetsAt = exhaustedCap ? exhaustedCap.window.end : emptied ? undefined : binding?.window.end;
  const funding = fundingOf(snap);
  const limit = binding?.cap ?? funding;
  const spent = binding?.spent ?? snap.settled.lifetime;
  const resets = (c: CapWindow): string => `resets ${formatResetTime(c.window.end, timeZone, now)}`;
  const reason = exhaustedCap
    ? `${config.label}: the ${exhaustedCap.name} of ${formatUsd(exhaustedCap.cap)} is reached; it ${resets(exhaustedCap)}`
    : emptied
      ? `${config.label}: the credit balance is ${formatUsd(balance)}; add funds${policy ? ' (auto-reload is on)' : ''}`
      : undefined;
  const capLine = capRows.map((c) => `${formatUsd(c.spent)} of the ${formatUsd(c.cap)} ${c.name} used`).join('; ');
  const summary =
    reason ?? `${formatUsd(Math.max(0, available))} of ${config.label} available${capLine ? `; ${capLine}` : ''}`;

  const limits: PoolLimitStatus[] = [
    {
      name: BALANCE_LIMIT,
      status: emptied ? 'rejected' : balance < lowBalance ? 'allowed_warning' : 'allowed',
      used: snap.settled.lifetime,
      cap: funding,
    },
    ...capRows.map(
      (c): PoolLimitStatus => ({
        name: c.name,
        status:
          c.spent >= c.cap
            ? 'rejected'
            : c === monthly && firstShare !== undefined && c.spent >= c.cap * firstShare
              ? 'allowed_warning'
              : 'allowed',
        used: c.spent,
        cap: c.cap,
        utilization: Math.min(1, c.spent / c.cap),
        resetsAt: c.window.end,
      }),
    ),
  ];

  const record = input.reload;
  const disabled = record.disabled?.version === version ? record.disabled : undefined;
  const monthKey = caps.find((c) => c.window.period === 'month')?.window.key;
  const reloadedThisMonth =
    record.month && (monthKey === undefined || record.month.key === monthKey) ? record.month.reloaded : 0;
  const details: CreditsStatusDetails = {
    provider: config.provider.id,
    balanceUsd: toDecimalString(balance),
    availableUsd: toDecimalString(available),
    heldUsd: toDecimalString(snap.held),
    overdraftUsd: toDecimalString(snap.overdraft),
    grants: snap.grants.map((g) => ({
      grantId: g.grantId,
      kind: g.kind,
      priority: g.priority,
      amountUsd: toDecimalString(g.amount),
      remainingUsd: toDecimalString(g.remaining),
      createdAt: g.createdAt,
      ...(g.expiresAt !== undefined && { expiresAt: g.expiresAt }),
      ...(g.source !== undefined && { source: g.source }),
    })),
    caps: capRows.map((c) => ({
      name: c.name,
      period: c.window.period as 'month' | 'day',
      limitUsd: toDecimalString(c.cap),
      spentUsd: toDecimalString(c.spent),
      leftUsd: toDecimalString(c.left),
      resetsAt: c.window.end,
    })),
    unlimited: [
      ...(config.monthlyLimit === undefined ? ['monthly spend limit'] : []),
      ...(config.dailyCeiling === undefined ? ['daily redemption ceiling'] : []),
    ],
    autoReload: {
      state: !policy ? 'off' : disabled ? 'disabled' : record.pending ? 'reloading' : 'armed',
      policy: policyDetails(policy),
      ...(disabled && { disabledReason: disabled.reason }),
      failures: record.failures,
      maxFailures: config.reload.maxFailures,
      reloadedThisMonthUsd: toDecimalString(reloadedThisMonth),
      ...(record.pending && { pendingAmountUsd: toDecimalString(record.pending.amount) }),
      ...(record.last && {
        lastReload: {
          at: record.last.at,
          amountUsd: toDecimalString(record.last.amount),
          grantId: record.last.grantId,
        },
      }),
      ...(record.lastFailure && { lastFailure: record.lastFailure }),
    },
  };

  return {
    id: config.id,
    kind: 'credits',
    state,
    remaining,
    limit,
    spent,
    held: snap.held,
    ...(limit > 0 && { utilization: Math.min(1, Math.max(0, spent / limit)) }),
    ...(resetsAt !== undefined && { resetsAt }),
    summary,
    ...(reason !== undefined && { reason }),
    limits,
    details: details as unknown as Record<string, unknown>,
  };
}
