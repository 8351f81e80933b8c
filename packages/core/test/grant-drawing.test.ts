import { describe, expect, it } from 'vitest';
import type { GrantRecord } from '../src/contracts/store.js';
import { drawFromGrants, grantFundsAvailable, liveGrants, newGrant } from '../src/stores/grant-drawing.js';

const grant = (grantId: string, remaining: number, more: Partial<GrantRecord> = {}): GrantRecord => ({
  account: 'credits',
  grantId,
  kind: 'paid',
  priority: 0,
  amount: remaining,
  remaining,
  createdAt: 0,
  ...more,
});

describe('the grant-drawing rule the stores share', () => {
  it('counts only grants with money left and not yet expired, in drawdown order', () => {
    const grants = [
      grant('paid-old', 5, { createdAt: 1 }),
      grant('empty', 0),
      grant('expired', 9, { expiresAt: 100 }),
      grant('promo', 3, { kind: 'promotional', createdAt: 2 }),
      grant('expiring', 4, { expiresAt: 500, createdAt: 3 }),
      grant('first', 1, { priority: -1, createdAt: 9 }),
    ];
    expect(liveGrants(grants, 100).map((g) => g.grantId)).toEqual(['first', 'expiring', 'promo', 'paid-old']);
    // At its expiry instant a grant no longer pays.
    expect(liveGrants(grants, 500).map((g) => g.grantId)).toEqual(['first', 'promo', 'paid-old']);
  });

  it('draws each grant dry in order before the next, and leaves the rest untouched', () => {
    const live = [grant('a', 3), grant('b', 5), grant('c', 7)];
    expect(drawFromGrants(live, 6, true)).toEqual({
      allocations: [
        { grantId: 'a', amount: 3 },
        { grantId: 'b', amount: 3 },
      ],
      overdraft: 0,
    });
    // The grants themselves are the store's to change.
    expect(live.map((g) => g.remaining)).toEqual([3, 5, 7]);
  });

  it('overdraws what no grant covers on an account that has had grants, and never on one without', () => {
    expect(drawFromGrants([grant('a', 2)], 5, true)).toEqual({
      allocations: [{ grantId: 'a', amount: 2 }],
      overdraft: 3,
    });
    expect(drawFromGrants([], 5, true)).toEqual({ allocations: [], overdraft: 5 });
    expect(drawFromGrants([], 5, false)).toEqual({ allocations: [], overdraft: 0 });
    expect(drawFromGrants([grant('a', 2)], 0, true)).toEqual({ allocations: [], overdraft: 0 });
  });

  it('has new money repay the overdraft first, keeping the rest', () => {
    const input = { account: 'credits', grantId: 'g', kind: 'paid' as const, now: 7 };
    expect(newGrant({ ...input, amount: 10 }, 3)).toEqual({
      grant: { account: 'credits', grantId: 'g', kind: 'paid', priority: 0, amount: 10, remaining: 7, createdAt: 7 },
      repaid: 3,
    });
    expect(newGrant({ ...input, amount: 2, expiresAt: 9, source: 'manual:x' }, 3)).toMatchObject({
      grant: { amount: 2, remaining: 0, expiresAt: 9, source: 'manual:x' },
      repaid: 2,
    });
    expect(newGrant({ ...input, amount: 4, priority: -1 }, 0)).toMatchObject({
      grant: { remaining: 4, priority: -1 },
      repaid: 0,
    });
  });

  it('gives what the grants hold less the overdraft and the holds', () => {
    expect(grantFundsAvailable([grant('a', 3), grant('b', 5)], 2, 1)).toBe(5);
    expect(grantFundsAvailable([], 2, 0)).toBe(-2);
  });
});
