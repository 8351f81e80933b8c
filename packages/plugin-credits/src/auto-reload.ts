import { randomUUID } from 'node:crypto';
import {
  calendarWindow,
  formatUsd,
  toDecimalString,
  type AutoReloadPolicy,
  type GrantRecord,
  type Nanos,
  type PluginContext,
} from '@drawdown/core';
import type { ReloadFailure } from './events.js';
import type { CreditsConfig } from './options.js';
import type { ChargeResult } from './payment-provider.js';
import {
  leaseName,
  policyKey,
  reloadKey,
  type PendingReload,
  type PolicyRecord,
  type ReloadRecord,
} from './reload-state.js';

export type ReloadOutcome =
  | { status: 'reloaded'; grantId: string; amount: Nanos; attempts: number }
  | { status: 'off' | 'disabled' | 'busy' | 'not_needed' | 'limit_reached' | 'closed'; message: string }
  | { status: 'failed'; failures: number; message: string };

interface ReloaderDeps {
  ctx: PluginContext;
  config: CreditsConfig;
  /** Current balance (unexpired grants less overdraft). */
  balance(): Promise<Nanos>;
  /** Adds a paid grant once per id and announces it. */
  grant(input: { grantId: string; amount: Nanos; source: string }): Promise<GrantRecord>;
}

const CENT = 10_000_000;
const ceilToCent = (nanos: Nanos): Nanos => Math.ceil(nanos / CENT) * CENT;
/** Policy lookups happen on every settle; a short cache keeps them off the store's hot path. */
const POLICY_CACHE_MS = 5_000;

/**
 * Automatic top-ups. A reload is started from the live balance right after a settle (no polling),
 * runs under a store lease so at most one is in flight per wallet across processes, persists its
 * idempotency key before charging so retries and crash recovery never charge twice, and turns
 * itself off after `maxFailures` consecutive failures.
 */
export function createReloader(deps: ReloaderDeps) {
  const { ctx, config } = deps;
  const { id } = config;
  let current: Promise<ReloadOutcome> | undefined;
  let closed = false;
  let cancelWait: (() => void) | undefined;
  let cached: { record: PolicyRecord; at: number } | undefined;

  const unwatch = ctx.store.watch((change) => {
    if (change.kind === 'state' && (change.key === undefined || change.key === policyKey(id))) cached = undefined;
  });

  async function policyRecord(): Promise<PolicyRecord> {
    const now = ctx.clock.now();
    if (cached && Math.abs(now - cached.at) < POLICY_CACHE_MS) return cached.record;
    const stored = await ctx.store.getState<PolicyRecord>(policyKey(id));
    const record = stored ?? { policy: config.autoReload ?? null, version: 'options' };
    cached = { record, at: now };
    return record;
  }

  async function setPolicy(policy: AutoReloadPolicy | null): Promise<void> {
    await ctx.store.setState(policyKey(id), { policy, version: randomUUID() } satisfies PolicyRecord);
    cached = undefined;
  }

  const readRecord = async (): Promise<ReloadRecord> =>
    (await ctx.store.getState<ReloadRecord>(reloadKey(id))) ?? { failures: 0 };
  const writeRecord = (record: ReloadRecord): Promise<void> => ctx.store.setState(reloadKey(id), record);

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (closed) return resolve();
      const timer = setTimeout(resolve, ms);
      timer.unref();
      cancelWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function charge(pending: PendingReload): Promise<ChargeResult | { status: 'uncertain'; message: string }> {
    try {
      return await config.provider.charge({
        amount: pending.amount,
        idempotencyKey: pending.attemptKey,
        ...(config.customer !== undefined && { customer: config.customer }),
      });
    } catch (error) {
      return { status: 'uncertain', message: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Decides the amount of a new reload, or why there is none. */
  function plan(policy: AutoReloadPolicy, balance: Nanos, record: ReloadRecord, monthKey: string): Nanos | 'limit' {
    let amount = policy.amount ?? ceilToCent(policy.targetBalance! - balance);
    if (policy.monthlyLimit !== undefined) {
      const used = record.month?.key === monthKey ? record.month.reloaded : 0;
      amount = Math.min(amount, policy.monthlyLimit - used);
      if (amount <= 0) return 'limit';
    }
    return amount;
  }

  async function run(): Promise<ReloadOutcome> {
    if (closed) return { status: 'closed', message: 'the wallet is closed' };
    const { policy, version } = await policyRecord();
    if (!policy) return { status: 'off', message: 'auto-reload is off' };
    const owner = randomUUID();
    const lease = (): Promise<boolean> =>
      ctx.store.tryLease({ name: leaseName(id), owner, ttlMs: config.reloadLeaseMs, now: ctx.clock.now() });
    if (!(await lease())) return { status: 'busy', message: 'another reload is in flight' };
    try {
      const record = await readRecord();
      if (record.disabled?.version === version) return { status: 'disabled', message: record.disabled.reason };
      if (record.disabled) {
        // A new policy since the disablement: start counting failures afresh.
        delete record.disabled;
        record.failures = 0;
      }
      const now = ctx.clock.now();
      const monthKey = calendarWindow('month', now, ctx.timeZone).key;
      if (!record.pending) {
        // Re-read under the lease: a reload that just finished elsewhere has already lifted the balance.
        const balance = await deps.balance();
        if (balance >= policy.threshold)
          return {
            status: 'not_needed',
            message: `balance ${formatUsd(balance)} is not below ${formatUsd(policy.threshold)}`,
          };
        const amount = plan(policy, balance, record, monthKey);
        if (amount === 'limit') {
          if (record.limitReachedIn !== monthKey) await writeRecord({ ...record, limitReachedIn: monthKey });
          return {
            status: 'limit_reached',
            message: `the monthly reload limit of ${formatUsd(policy.monthlyLimit!)} is reached`,
          };
        }
        const key = `reload:${id}:${randomUUID()}`;
        record.pending = { key, attemptKey: key, amount, attempts: 0 };
        await writeRecord(record);
      }
      return await attempt(record, record.pending, version, monthKey, lease);
    } finally {
      await ctx.store.releaseLease({ name: leaseName(id), owner });
    }
  }

  async function attempt(
    record: ReloadRecord,
    pending: PendingReload,
    version: string,
    monthKey: string,
    lease: () => Promise<boolean>,
  ): Promise<ReloadOutcome> {
    const { maxFailures, backoffMs } = config.reload;
    for (;;) {
      if (closed) return { status: 'closed', message: 'the wallet closed during a reload; the next one resumes it' };
      if (!(await lease())) return { status: 'busy', message: 'the reload lease passed to another process' };
      pending.attempts++;
      const result = await charge(pending);
      const at = ctx.clock.now();
      if (result.status === 'succeeded') {
        const grant = await deps.grant({
          grantId: `grant:${pending.attemptKey}`,
          amount: pending.amount,
          source: `${config.provider.id}:${result.reference ?? pending.attemptKey}`,
        });
        const reloaded = (record.month?.key === monthKey ? record.month.reloaded : 0) + pending.amount;
        const { pending: _done, lastFailure: _cleared, ...rest } = record;
        await writeRecord({
          ...rest,
          failures: 0,
          month: { key: monthKey, reloaded },
          last: { at, amount: pending.amount, grantId: grant.grantId },
        });
        const balance = await deps.balance();
        ctx.events.emit('credits.reloaded', {
          poolId: id,
          grantId: grant.grantId,
          amount: pending.amount,
          amountUsd: toDecimalString(pending.amount),
          balance,
          balanceUsd: toDecimalString(balance),
          attempts: pending.attempts,
          message: `${config.label}: reloaded ${formatUsd(pending.amount)}; balance now ${formatUsd(balance)}`,
          at,
        });
        await ctx.refreshPool(id);
        return { status: 'reloaded', grantId: grant.grantId, amount: pending.amount, attempts: pending.attempts };
      }

      const failure: ReloadFailure = result.status;
      const failures = record.failures + 1;
      const why =
        result.message ??
        (failure === 'requires_action' ? 'the payment needs the customer to act' : 'the payment failed');
      // A definite failure took no money, so the next attempt may use a new key; an unknown outcome keeps the key.
      if (failure !== 'uncertain') pending.attemptKey = `${pending.key}:${failures}`;
      const stop = failure === 'requires_action' || failures >= maxFailures;
      const retryInMs = backoffMs[Math.min(failures - 1, backoffMs.length - 1)]!;
      record.failures = failures;
      record.lastFailure = { at, message: why };
      if (stop) {
        const reason =
          failure === 'requires_action'
            ? `a reload of ${formatUsd(pending.amount)} needs the customer to act (${why}); update the payment method, then call setAutoReload again`
            : `${failures} reload attempts in a row failed (last: ${why}); fix the payment method, then call setAutoReload again`;
        record.disabled = { reason, at, version };
      }
      await writeRecord(record);
      ctx.events.emit('credits.reload_failed', {
        poolId: id,
        amount: pending.amount,
        amountUsd: toDecimalString(pending.amount),
        failure,
        failures,
        maxFailures,
        willRetry: !stop,
        ...(!stop && { retryInMs }),
        message: `${config.label}: reload of ${formatUsd(pending.amount)} failed (${why})${stop ? '' : `; retrying in ${retryInMs} ms`}`,
        at,
      });
      if (stop) {
        ctx.events.emit('credits.auto_reload_disabled', {
          poolId: id,
          reason: record.disabled!.reason,
          failures,
          message: `${config.label}: auto-reload turned off: ${record.disabled!.reason}`,
          at,
        });
        return { status: 'failed', failures, message: record.disabled!.reason };
      }
      await wait(retryInMs);
    }
  }

  /** Runs a reload now (or joins the one this process is running). */
  function reloadNow(): Promise<ReloadOutcome> {
    current ??= run().finally(() => {
      current = undefined;
    });
    return current;
  }

  /** Resolves when this process has no reload running. */
  async function idle(): Promise<void> {
    while (current) await current.catch(() => undefined);
  }

  return {
    policyRecord,
    setPolicy,
    readRecord,
    reloadNow,
    idle,
    /** True while this process runs a reload. */
    running: (): boolean => current !== undefined,
    /** Starts a reload if the policy asks for one at this balance; never waits for it. */
    maybeReload(balance: Nanos, policy: AutoReloadPolicy | null): void {
      if (closed || !policy || balance >= policy.threshold) return;
      void reloadNow().catch((error) =>
        ctx.logger.warn(
          `credits "${id}": auto-reload failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    },
    async close(): Promise<void> {
      closed = true;
      cancelWait?.();
      unwatch();
      await idle();
    },
  };
}

export type Reloader = ReturnType<typeof createReloader>;
