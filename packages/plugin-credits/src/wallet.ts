import { randomUUID } from 'node:crypto';
import {
  assertNanos,
  DrawdownError,
  formatUsd,
  isDrawdownError,
  ledgerAccount,
  toDecimalString,
  usd,
  type AddFundsResult,
  type AutoReloadPolicy,
  type DrawdownPlugin,
  type FundablePool,
  type GrantKind,
  type GrantRecord,
  type Nanos,
  type PluginContext,
  type PoolStatus,
} from '@drawdown/core';
import { createAlerts } from './alerts.js';
import { createReloader, type ReloadOutcome } from './auto-reload.js';
import { balanceOf, capsAt, limitsFor, refusalMessage } from './caps.js';
import { CreditsErrorCodes } from './errors.js';
import { checkPolicy, parseCreditsOptions, type CreditsConfig, type CreditsOptions } from './options.js';
import type { ChargeResult, GrantFundsInput } from './payment-provider.js';
import { buildStatus } from './status.js';

/** The credits pool: a `FundablePool` plus operator grants and reload control. */
export interface CreditsPool extends FundablePool {
  readonly kind: 'credits';
  /** Adds funds without a payment (an operator's grant, a promotion). */
  grant(input: GrantFundsInput): Promise<GrantRecord>;
  /** Runs an auto-reload now if the policy asks for one (or joins the one in flight here). */
  reloadNow(): Promise<ReloadOutcome>;
  /** Resolves when this process runs no reload (for shutdown and tests). */
  idle(): Promise<void>;
}

/** True when a pool registered with the hub is a credits wallet. */
export function isCreditsPool(pool: { kind: string }): pool is CreditsPool {
  return pool.kind === 'credits' && typeof (pool as Partial<CreditsPool>).grant === 'function';
}

/**
 * A prepaid credits wallet: grants drawn in order, a monthly spend limit and a daily redemption
 * ceiling in the hub's time zone, auto-reload through a payment provider, and alerts once per
 * crossing. Register it with a hub and route requests to it like any pool.
 */
export function credits(options: CreditsOptions) {
  const config = parseCreditsOptions(options);
  return {
    id: config.id,
    kind: 'pool',
    async setup(ctx: PluginContext) {
      const wallet = creditsPool(ctx, config);
      await wallet.start();
      return { pool: wallet.pool, close: wallet.close };
    },
  } satisfies DrawdownPlugin;
}

const KEY = /^[\x21-\x7e]{1,200}$/;

function amountInput(field: string, value: unknown): Nanos {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new DrawdownError(
      CreditsErrorCodes.INVALID_AMOUNT,
      `${field} must be a whole number of nanodollars above zero (e.g. usd("25")); got ${String(value)}`,
      { data: { field, value: String(value) } },
    );
  }
  return value;
}

function keyInput(field: string, value: unknown): string {
  if (typeof value !== 'string' || !KEY.test(value)) {
    throw new DrawdownError(
      CreditsErrorCodes.INVALID_KEY,
      `${field} must be 1–200 visible characters without spaces, stable across retries (e.g. an order id)`,
      { data: { field } },
    );
  }
  return value;
}

function creditsPool(ctx: PluginContext, config: CreditsConfig) {
  const { id, label } = config;
  const snapshot = (now: number, scopes: string[] = []) => ctx.store.snapshot({ account: id, now, scopes });

  async function addGrant(input: {
    grantId: string;
    amount: Nanos;
    kind: GrantKind;
    source: string;
    priority?: number;
    expiresAt?: number;
  }): Promise<GrantRecord> {
    const now = ctx.clock.now();
    const result = await ctx.store.addGrant({ account: id, now, ...input });
    if (result.status === 'added') {
      ctx.events.emit('credits.granted', {
        poolId: id,
        grantId: result.grant.grantId,
        kind: result.grant.kind,
        amount: result.grant.amount,
        amountUsd: toDecimalString(result.grant.amount),
        ...(result.grant.expiresAt !== undefined && { expiresAt: result.grant.expiresAt }),
        source: input.source,
        message: `${label}: ${formatUsd(result.grant.amount)} ${input.kind === 'promotional' ? 'promotional credits' : 'added'}`,
        at: now,
      });
      await ctx.refreshPool(id);
    }
    return result.grant;
  }

  const reloader = createReloader({
    ctx,
    config,
    balance: async () => balanceOf(await snapshot(ctx.clock.now())),
    grant: (input) => addGrant({ ...input, kind: 'paid' }),
  });

  async function status(): Promise<PoolStatus> {
    const now = ctx.clock.now();
    const caps = capsAt(config, now, ctx.timeZone);
    const [snap, policy, reload] = await Promise.all([
      snapshot(
        now,
        caps.map((c) => c.window.key),
      ),
      reloader.policyRecord(),
      reloader.readRecord(),
    ]);
    return buildStatus({ config, snap, caps, policy, reload, timeZone: ctx.timeZone, now });
  }

  const alerts = createAlerts(ctx, config, status);

  async function grant(input: GrantFundsInput): Promise<GrantRecord> {
    if (!input || typeof input !== 'object')
      throw new DrawdownError(CreditsErrorCodes.INVALID_AMOUNT, 'grant() needs { amount }, like { amount: "25" }', {
        data: { field: 'amount' },
      });
    const amount = parseUsdInput('amount', input.amount);
    const kind = input.kind ?? 'paid';
    if (kind !== 'paid' && kind !== 'promotional')
      throw new DrawdownError(
        CreditsErrorCodes.INVALID_KIND,
        `kind must be "paid" or "promotional"; got ${String(kind)}`,
        { data: { field: 'kind' } },
      );
    const expiresAt =
      input.expiresAt === undefined
        ? undefined
        : input.expiresAt instanceof Date
          ? input.expiresAt.getTime()
          : typeof input.expiresAt === 'number'
            ? input.expiresAt
            : Date.parse(input.expiresAt);
    if (expiresAt !== undefined && !Number.isFinite(expiresAt))
      throw new DrawdownError(CreditsErrorCodes.INVALID_DATE, `expiresAt is not a time: ${String(input.expiresAt)}`, {
        data: { field: 'expiresAt' },
      });
    if (input.priority !== undefined && !Number.isSafeInteger(input.priority))
      throw new DrawdownError(
        CreditsErrorCodes.INVALID_PRIORITY,
        `priority must be a whole number; got ${String(input.priority)}`,
        { data: { field: 'priority' } },
      );
    const key = input.idempotencyKey === undefined ? randomUUID() : keyInput('idempotencyKey', input.idempotencyKey);
    return addGrant({
      grantId: `manual:${key}`,
      amount,
      kind,
      source: input.note ? `manual: ${input.note}` : 'manual',
      ...(input.priority !== undefined && { priority: input.priority }),
      ...(expiresAt !== undefined && { expiresAt }),
    });
  }

  const account = ledgerAccount(ctx, {
    id,
    limits: (now) => limitsFor(capsAt(config, now, ctx.timeZone)),
    async refusal(refused) {
      let reloading = false;
      if (refused.limit.id === 'balance') {
        // An empty wallet with auto-reload on starts a reload now rather than at the next settle.
        const { policy, version } = await reloader.policyRecord();
        if (policy) reloading = (await reloader.readRecord()).disabled?.version !== version;
        if (reloading)
          void reloader
            .reloadNow()
            .catch((error) => ctx.logger.warn(`credits "${id}": auto-reload failed: ${String(error)}`));
      }
      return refusalMessage(label, refused, ctx.timeZone, reloading);
    },
    // Cap alerts are levels of the month and day scopes; the account reports which a settle crossed.
    crossings: alerts.levels,
    async afterSettle(result, now, crossed) {
      // Right after the stored settle: alerts from its crossings and balance, and a reload from the live balance.
      const snap = await snapshot(now);
      await alerts.afterSettle(result, snap, now, crossed);
      reloader.maybeReload(balanceOf(snap), (await reloader.policyRecord()).policy);
    },
  });

  const pool: CreditsPool = {
    id,
    kind: 'credits',
    announcesAlerts: true,
    status,

    // Amounts come from callers that may not be typed: checked before they reach the store.
    reserve: (input) => account.reserve({ ...input, amount: assertNanos(input.amount, 'amount') }),
    settle: (input) => account.settle({ ...input, cost: assertNanos(input.cost, 'cost') }),
    release: account.release,

    async addFunds(input): Promise<AddFundsResult> {
      const amount = amountInput('amount', input?.amount);
      const idempotencyKey = keyInput('idempotencyKey', input?.idempotencyKey);
      let result: ChargeResult;
      try {
        result = await config.provider.charge({
          amount,
          idempotencyKey,
          ...(config.customer !== undefined && { customer: config.customer }),
        });
      } catch (error) {
        if (isDrawdownError(error)) throw error;
        throw new DrawdownError(
          CreditsErrorCodes.PAYMENT_UNCERTAIN,
          `${label}: the payment for "${idempotencyKey}" has no known outcome (${error instanceof Error ? error.message : String(error)}); retry addFunds with the same idempotencyKey, which cannot charge twice`,
          {
            data: { provider: config.provider.id, idempotencyKey },
          },
        );
      }
      if (result.status !== 'succeeded') {
        const why =
          result.message ??
          (result.status === 'requires_action' ? 'the payment needs the customer to act' : 'the payment failed');
        return {
          status: result.status,
          amount,
          message: `${label}: ${formatUsd(amount)} not added: ${why}${result.status === 'requires_action' ? '; ask the customer to confirm the payment, then try again' : '; check the payment method and try again'}`,
        };
      }
      const granted = await addGrant({
        grantId: `grant:${idempotencyKey}`,
        amount,
        kind: 'paid',
        source: `${config.provider.id}:${result.reference ?? idempotencyKey}${input.note ? ` (${input.note})` : ''}`,
      });
      return {
        status: 'succeeded',
        grantId: granted.grantId,
        amount: granted.amount,
        message: `${label}: ${formatUsd(granted.amount)} added`,
      };
    },

    async setAutoReload(policy: AutoReloadPolicy | null) {
      const checked = policy === null ? null : checkPolicy(`credits("${id}")`, 'policy', policy);
      await reloader.setPolicy(checked);
      await ctx.refreshPool(id);
      if (checked) reloader.maybeReload(balanceOf(await snapshot(ctx.clock.now())), checked);
    },

    grant,
    reloadNow: () => reloader.reloadNow(),
    idle: () => reloader.idle(),
  };

  return {
    pool,
    async start(): Promise<void> {
      config.provider.attach?.({ poolId: id, grant });
      for (const promo of config.promotional) {
        const expiresAt =
          promo.expiresAt ?? (promo.expiresInMs !== undefined ? ctx.clock.now() + promo.expiresInMs : undefined);
        await addGrant({
          grantId: promo.grantId,
          amount: promo.amount,
          kind: 'promotional',
          priority: promo.priority,
          source: `promotion:${promo.grantId.slice(6)}`,
          ...(expiresAt !== undefined && { expiresAt }),
        });
      }
    },
    close: () => reloader.close(),
  };
}

function parseUsdInput(field: string, value: unknown): Nanos {
  let nanos = Number.NaN;
  if (typeof value === 'string') {
    try {
      nanos = usd(value);
    } catch {
      nanos = Number.NaN;
    }
  }
  if (!Number.isSafeInteger(nanos) || nanos <= 0) {
    throw new DrawdownError(
      CreditsErrorCodes.INVALID_AMOUNT,
      `${field} must be a USD amount above zero written as a string, like "25.00"; got ${JSON.stringify(value)}`,
      { data: { field } },
    );
  }
  return nanos;
}
