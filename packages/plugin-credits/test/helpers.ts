import {
  apiKey,
  budget,
  createHub,
  memoryStore,
  silentLogger,
  usd,
  type DrawdownPlugin,
  type DrawdownEventName,
  type DrawdownEvents,
  type Hub,
  type LedgerStore,
} from '@drawdown/core';
import { manualClock, type ManualClock } from '@drawdown/testkit';
import {
  credits,
  isCreditsPool,
  type ChargeInput,
  type ChargeResult,
  type CreditsOptions,
  type CreditsPool,
  type PaymentProvider,
} from '../src/index.js';

export const RECORDED = [
  'pool.low',
  'pool.exhausted',
  'pool.reset',
  'credits.granted',
  'credits.reloaded',
  'credits.reload_failed',
  'credits.auto_reload_disabled',
] as const;
export type Recorded = {
  [E in (typeof RECORDED)[number]]: { event: E; payload: DrawdownEvents[E] };
}[(typeof RECORDED)[number]];

export interface Wallet {
  hub: Hub;
  pool: CreditsPool;
  clock: ManualClock;
  store: LedgerStore;
  events: Recorded[];
  of<E extends (typeof RECORDED)[number]>(event: E): Array<DrawdownEvents[E]>;
}

/** A hub with one credits wallet on a memory store (or the given store), recording its events. */
export async function wallet(
  options: Partial<CreditsOptions> & { provider: PaymentProvider },
  extra: { clock?: ManualClock; store?: LedgerStore; timeZone?: string } = {},
): Promise<Wallet> {
  const clock = extra.clock ?? manualClock('2026-11-23T12:00:00Z');
  const store = extra.store ?? memoryStore();
  const hub = await createHub({
    store,
    clock,
    logger: silentLogger,
    ...(extra.timeZone !== undefined && { timeZone: extra.timeZone }),
  });
  const events: Recorded[] = [];
  for (const name of RECORDED)
    hub.on(name as DrawdownEventName, (payload) => void events.push({ event: name, payload } as Recorded));
  await hub.use(credits(options));
  const pool = hub.pool(options.id ?? 'credits');
  if (!isCreditsPool(pool)) throw new Error('not a credits pool');
  return {
    hub,
    pool,
    clock,
    store,
    events,
    of: (event) => events.filter((e) => e.event === event).map((e) => e.payload) as never,
  };
}

/**
 * A payment provider double whose outcomes are scripted per attempt. It records every charge
 * by idempotency key (a repeated key is a replay, never a second payment) and the most charges
 * ever in flight at once. `throw` fails without charging; `lost` charges and then fails to answer.
 */
export function scriptedProvider(
  script: Array<ChargeResult['status'] | 'throw' | 'lost'> = [],
  options: { pauseMs?: number } = {},
) {
  const paid = new Map<string, number>();
  const attempts: ChargeInput[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const provider: PaymentProvider = {
    id: 'scripted',
    async charge(input) {
      attempts.push(input);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 0));
        if (paid.has(input.idempotencyKey)) return { status: 'succeeded', reference: `ref-${input.idempotencyKey}` };
        const outcome = script.shift() ?? 'succeeded';
        if (outcome === 'throw') throw new Error('payment provider timed out');
        if (outcome === 'lost') {
          // The payment went through but the answer never arrived.
          paid.set(input.idempotencyKey, input.amount);
          throw new Error('payment provider timed out after charging');
        }
        if (outcome === 'succeeded') paid.set(input.idempotencyKey, input.amount);
        return {
          status: outcome,
          reference: `ref-${input.idempotencyKey}`,
          ...(outcome !== 'succeeded' && {
            message: outcome === 'failed' ? 'card_declined' : 'authentication_required',
          }),
        };
      } finally {
        inFlight--;
      }
    },
  };
  return {
    provider,
    attempts,
    script,
    /** Distinct payments taken (a replayed key counts once). */
    payments: () => [...paid.values()],
    paidKeys: () => [...paid.keys()],
    maxInFlight: () => maxInFlight,
  };
}

/**
 * Twenty concurrent requests of $0.05 each under a team level with a $1.00 budget and a $0.50
 * soft limit (the gateway's budget levels ride on `hub.begin` the same way), each settled at its
 * hold: the team's spend crosses the soft limit once and the budget once. Closes the hub, so every
 * alert the notifier took has been delivered when this returns.
 */
export async function crossTeamLevel(notifier: DrawdownPlugin): Promise<void> {
  const hub = await createHub({
    store: memoryStore(),
    clock: manualClock(),
    logger: silentLogger,
    plugins: [
      apiKey({ id: 'key', key: 'sk-ant-level-alerts-0123456789' }),
      budget({ id: 'trial', amount: '10' }),
      notifier,
    ],
    route: { entries: [{ id: 'trial', strategy: 'key', pool: 'trial' }] },
  });
  const team = {
    account: 'limit:team:research',
    limits: [{ kind: 'cap' as const, name: 'team "research" budget', scope: 'lifetime', cap: usd('1') }],
    alerts: [
      { scope: 'lifetime', level: usd('0.5'), name: 'team "research" soft limit of $0.50', soft: true },
      { scope: 'lifetime', level: usd('1'), name: 'team "research" budget of $1.00', soft: false },
    ],
  };
  const leases = await Promise.all(
    Array.from({ length: 20 }, () => hub.begin({ amount: usd('0.05'), limitAccounts: [team] })),
  );
  await Promise.all(leases.map((lease) => lease.settle({ cost: usd('0.05') })));
  await hub.close();
}
