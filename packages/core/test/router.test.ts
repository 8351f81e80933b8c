import { describe, expect, it } from 'vitest';
import { apiKey, budget, createHub, memoryStore, usd, type DrawdownEvents, type LedgerStore } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { ownSignIn, quiet, switchablePlan } from './helpers.js';

const resetAt = Date.parse('2026-11-23T23:00:00Z');

async function desktopApp(options: { trial?: string; store?: LedgerStore; creditsOptedIn?: boolean } = {}) {
  const plan = switchablePlan('plan');
  const clock = manualClock('2026-11-23T12:00:00Z');
  const hub = await createHub({
    ...quiet,
    clock,
    timeZone: 'America/Los_Angeles',
    store: options.store ?? memoryStore(),
    plugins: [
      apiKey({ id: 'bundled', key: 'sk-ant-app-trial' }),
      apiKey({ id: 'own-key', key: 'sk-ant-user-credits' }),
      ownSignIn('personal'),
      budget({ id: 'trial', amount: options.trial ?? '10' }),
      plan.plugin,
      budget({ id: 'credits', amount: '100', period: 'month' }),
    ],
    route: {
      entries: [
        { id: 'trial', strategy: 'bundled', pool: 'trial' },
        { id: 'personal', strategy: 'personal', pool: 'plan' },
        {
          id: 'credits',
          strategy: 'own-key',
          pool: 'credits',
          requiresOptIn: true,
          optedIn: options.creditsOptedIn ?? false,
        },
      ],
    },
  });
  const switches: Array<DrawdownEvents['route.switched']> = [];
  hub.on('route.switched', (e) => void switches.push(e));
  const spend = async (amount: string) => {
    const lease = await hub.begin({ amount: usd(amount) });
    await lease.settle({ cost: usd(amount) });
    return lease.entry.id;
  };
  return { hub, plan, clock, switches, spend };
}

describe('router', () => {
  it('gives an entry that is both exhausted and not opted in the same state when routing and explaining', async () => {
    const store = memoryStore();
    const clock = manualClock('2026-11-23T12:00:00Z');
    const hub = await createHub({
      ...quiet,
      clock,
      store,
      plugins: [
        apiKey({ id: 'key', key: 'sk-ant-x' }),
        budget({ id: 'first', amount: '1' }),
        budget({ id: 'extra', amount: '1' }),
      ],
      route: {
        entries: [
          { id: 'first', strategy: 'key', pool: 'first' },
          { id: 'extra', strategy: 'key', pool: 'extra', requiresOptIn: true },
        ],
      },
    });
    // Spend the opt-in entry's pool directly, as another app on the same ledger would.
    const other = await hub.pool('extra').reserve({ key: 'elsewhere', amount: usd('1') });
    await hub.pool('extra').settle({ key: other.key, cost: usd('1') });
    await (await hub.begin({ amount: usd('1') })).settle({ cost: usd('1') });
    const refused = (await hub.begin({ amount: usd('0.01') }).then(
      () => new Error('admitted'),
      (e: unknown) => e,
    )) as Error;
    expect(refused.message).toMatch(/extra: extra is not opted in/);
    const explained = await hub.router.explain();
    expect(explained.entries.find((e) => e.entryId === 'extra')?.state).toBe('needs-opt-in');
    expect(explained.refusal?.message).toMatch(/extra: extra pays only after the user opts in/);
    await hub.close();
  });

  it('uses the trial first and switches to personal once the trial is spent', async () => {
    const { hub, switches, spend } = await desktopApp({ trial: '10' });
    expect(await spend('6')).toBe('trial');
    expect(await spend('4')).toBe('trial');
    expect(await spend('1')).toBe('personal');
    expect(switches).toEqual([
      expect.objectContaining({
        from: 'trial',
        to: 'personal',
        sticky: true,
        reason: expect.stringMatching(/trial budget of \$10\.00 used/),
      }),
    ]);
    const explained = await hub.router.explain();
    expect(explained.next).toMatchObject({ entryId: 'personal' });
    expect(explained.entries.map((e) => e.state)).toEqual(['left', 'next', 'needs-opt-in']);
    expect(explained.whenExhausted).toBe('then requests are refused unless the user opts in to credits');
  });

  it('never flips back to a spent trial, even after a restart with a larger trial', async () => {
    const store = memoryStore();
    const first = await desktopApp({ trial: '1', store });
    await first.spend('1');
    expect(await first.spend('0.5')).toBe('personal');
    const reopened = await desktopApp({ trial: '20', store });
    expect((await reopened.hub.pool('trial').status()).state).toBe('available');
    expect(await reopened.spend('0.5')).toBe('personal');
  });

  it('does not leave the trial for good when in-flight holds only fill it for a moment', async () => {
    const { spend, hub, switches } = await desktopApp({ trial: '1' });
    const inFlight = await hub.begin({ amount: usd('1') });
    expect(await spend('0.10')).toBe('personal');
    await inFlight.settle({ cost: usd('0.20') });
    expect(await spend('0.10')).toBe('trial');
    expect(switches.map((s) => [s.from, s.to, s.sticky])).toEqual([
      ['trial', 'personal', false],
      ['personal', 'trial', false],
    ]);
  });

  it('refuses when the plan limit is hit and the user has not opted in to credits, saying when it resets', async () => {
    const { plan, spend } = await desktopApp({ trial: '1' });
    await spend('1');
    Object.assign(plan.state, { exhausted: true, resetsAt: resetAt });
    await expect(spend('0.10')).rejects.toMatchObject({
      code: 'DRAWDOWN_ROUTE_EXHAUSTED',
      message: expect.stringMatching(
        /personal: plan limit reached; resets at 3pm \(America\/Los_Angeles\).*credits: credits is not opted in/,
      ),
    });
  });

  it('falls back to credits once the user opts in, and back to the plan when it resets', async () => {
    const { hub, plan, spend, switches } = await desktopApp({ trial: '1' });
    await spend('1');
    expect(await spend('0.10')).toBe('personal');
    Object.assign(plan.state, { exhausted: true, resetsAt: resetAt });
    await hub.router.optIn('credits');
    expect(await spend('0.10')).toBe('credits');
    Object.assign(plan.state, { exhausted: false, resetsAt: undefined });
    expect(await spend('0.10')).toBe('personal');
    expect(switches.map((s) => `${s.from}→${s.to}`)).toEqual([
      'trial→personal',
      'personal→credits',
      'credits→personal',
    ]);
    // Opting out again closes the fallback.
    await hub.router.optIn('credits', false);
    Object.assign(plan.state, { exhausted: true, resetsAt: resetAt });
    await expect(spend('0.10')).rejects.toMatchObject({ code: 'DRAWDOWN_ROUTE_EXHAUSTED' });
  });

  it('shares opt-ins through the store with every hub on it', async () => {
    const store = memoryStore();
    const app = await desktopApp({ store });
    const cli = await desktopApp({ store });
    await cli.hub.router.optIn('credits');
    await app.hub.router.reload();
    expect(app.hub.router.isOptedIn('credits')).toBe(true);
  });

  it('explains a refusal before it happens', async () => {
    const { hub, plan, spend } = await desktopApp({ trial: '1' });
    await spend('1');
    Object.assign(plan.state, { exhausted: true, resetsAt: resetAt });
    const explained = await hub.router.explain();
    expect(explained.next).toBeUndefined();
    expect(explained.refusal?.message).toMatch(/plan limit reached; resets at 3pm/);
    expect(explained.whenExhausted).toMatch(/nothing can pay/);
  });

  it('gives a delegated child no key of any strategy, and a key child exactly its own key', async () => {
    const { hub } = await desktopApp();
    const base = {
      PATH: '/usr/bin',
      ANTHROPIC_API_KEY: 'sk-ant-user-credits',
      ANTHROPIC_AUTH_TOKEN: 'tok',
      MY_APP_KEY: 'sk-ant-app-trial',
      CLAUDE_CODE_USE_BEDROCK: '1',
    };
    expect(hub.childEnv('personal', base)).toEqual({ PATH: '/usr/bin' });
    expect(hub.childEnv('trial', base)).toEqual({
      PATH: '/usr/bin',
      ANTHROPIC_API_KEY: 'sk-ant-app-trial',
      MY_APP_KEY: 'sk-ant-app-trial',
    });
    expect(base.ANTHROPIC_API_KEY).toBe('sk-ant-user-credits');
  });

  it('refuses to opt out of an entry that does not need opting in, and an unknown entry', async () => {
    const { hub } = await desktopApp();
    await expect(hub.router.optIn('trial', false)).rejects.toMatchObject({ code: 'DRAWDOWN_INVALID_OPTION' });
    await expect(hub.router.optIn('nope')).rejects.toMatchObject({ code: 'DRAWDOWN_UNKNOWN_REFERENCE' });
    await expect(hub.begin({ entry: 'nope', amount: 0 })).rejects.toThrow(/no route entry "nope"/);
  });
});

describe('router stickiness', () => {
  it('comes back to a wallet that ran dry once funds are added', async () => {
    const { isFundablePool } = await import('@drawdown/core');
    const wallet = budget({ id: 'wallet', amount: '1' });
    // A budget that can also take funds: the router must not give up on it for good.
    let extra = 0;
    const fundable = {
      ...wallet,
      setup(ctx: Parameters<typeof wallet.setup>[0]) {
        const { pool } = wallet.setup(ctx);
        return {
          pool: {
            ...pool,
            async status() {
              const s = await pool.status();
              return s.spent >= usd('1') + extra ? s : { ...s, state: 'available' as const, reason: undefined };
            },
            async reserve(input: Parameters<typeof pool.reserve>[0]) {
              return extra > 0
                ? { key: input.key, amount: input.amount, expiresAt: Date.now() + 1000 }
                : pool.reserve(input);
            },
            addFunds: async () => ({ status: 'succeeded' as const, amount: 0, message: '' }),
            setAutoReload: async () => {},
          },
        };
      },
    };
    const hub = await createHub({
      ...quiet,
      plugins: [apiKey({ id: 'k', key: 'sk' }), fundable, budget({ id: 'spare', amount: '5' })],
      route: {
        entries: [
          { id: 'wallet', strategy: 'k', pool: 'wallet' },
          { id: 'spare', strategy: 'k', pool: 'spare' },
        ],
      },
    });
    expect(isFundablePool(hub.pool('wallet'))).toBe(true);
    await (await hub.begin({ amount: usd('1') })).settle({ cost: usd('1') });
    expect((await hub.begin({ amount: usd('0.1') })).entry.id).toBe('spare');
    expect(hub.router.hasLeft('wallet')).toBe(false);
    extra = usd('5');
    expect((await hub.begin({ amount: usd('0.1') })).entry.id).toBe('wallet');
  });
});

describe('lease child environment', () => {
  it('scrubs other strategies’ secrets from a lease’s child environment too', async () => {
    const hub = await createHub({
      ...quiet,
      plugins: [
        apiKey({ id: 'bundled', key: 'sk-ant-app-trial' }),
        apiKey({ id: 'own', key: 'sk-ant-user' }),
        budget({ id: 'trial', amount: '1' }),
      ],
      route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
    });
    const lease = await hub.begin({ amount: 0 });
    expect(lease.childEnv({ PATH: '/bin', OTHER: 'sk-ant-user' })).toEqual({
      PATH: '/bin',
      ANTHROPIC_API_KEY: 'sk-ant-app-trial',
    });
  });
});

describe('router reads', () => {
  it('reads a later pool only when the entries before it cannot pay', async () => {
    const { hub, plan, spend } = await desktopApp({ trial: '1' });
    const planPool = hub.pool('plan');
    let reads = 0;
    const original = planPool.status.bind(planPool);
    (planPool as { status: typeof planPool.status }).status = () => {
      reads++;
      return original();
    };
    expect(await spend('0.5')).toBe('trial');
    expect(reads).toBe(0);
    await spend('0.5');
    expect(await spend('0.1')).toBe('personal');
    expect(reads).toBeGreaterThan(0);
    expect(plan.state.exhausted).toBe(false);
  });
});
