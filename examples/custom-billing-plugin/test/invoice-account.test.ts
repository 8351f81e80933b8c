import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiKey, createHub, ErrorCodes, isDrawdownError, usd, type DrawdownEvents, type Hub } from '@drawdown/core';
import { sqliteStore } from '@drawdown/store-sqlite';
import { manualClock } from '@drawdown/testkit';
import { invoiceAccount } from '../src/invoice-account.js';
import { main } from '../src/main.js';

let hub: Hub | undefined;
afterEach(async () => {
  await hub?.close();
  await hub?.store.close();
});

async function makeHub(clock = manualClock(Date.UTC(2026, 10, 20, 12))) {
  const store = sqliteStore({ file: join(mkdtempSync(join(tmpdir(), 'invoice-')), 'ledger.sqlite') });
  hub = await createHub({
    store,
    clock,
    timeZone: 'Europe/Berlin',
    plugins: [
      apiKey({ id: 'key', key: 'sk-ant-test' }),
      invoiceAccount({ id: 'invoice', creditLine: '10.00', warnAt: 0.5 }),
    ],
    route: { entries: [{ id: 'company', strategy: 'key', pool: 'invoice' }] },
  });
  return { hub, clock };
}

describe('invoiceAccount', () => {
  it('admits requests up to the credit line and refuses the next with the reset of the billing month', async () => {
    const { hub } = await makeHub();
    for (let i = 0; i < 5; i++)
      await (await hub.begin({ requestId: `r${i}`, amount: usd('2') })).settle({ cost: usd('2') });
    const refused = await hub.begin({ requestId: 'r5', amount: usd('0.01') }).catch((e: unknown) => e);
    expect(isDrawdownError(refused, ErrorCodes.ROUTE_EXHAUSTED)).toBe(true);
    expect((refused as Error).message).toContain('the $10.00 credit line is used up until the invoice clears it');
    const status = await hub.pool('invoice').status();
    expect(status).toMatchObject({
      kind: 'invoice',
      state: 'exhausted',
      spent: usd('10'),
      remaining: 0,
      resetsAt: Date.UTC(2026, 10, 30, 23),
    });
  });

  it('announces the warning share once, after the settle that crossed it', async () => {
    const { hub } = await makeHub();
    const events: Array<DrawdownEvents['invoice.near-limit']> = [];
    hub.on('invoice.near-limit', (e) => void events.push(e));
    for (let i = 0; i < 4; i++)
      await (await hub.begin({ requestId: `r${i}`, amount: usd('2') })).settle({ cost: usd('2') });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      poolId: 'invoice',
      spent: usd('6'),
      creditLine: usd('10'),
      message: '$6.00 of the $10.00 credit line used',
    });
  });

  it('starts a fresh credit line when the billing month turns in the hub time zone', async () => {
    const { hub, clock } = await makeHub();
    await (await hub.begin({ requestId: 'nov', amount: usd('10') })).settle({ cost: usd('10') });
    expect((await hub.pool('invoice').status()).state).toBe('exhausted');
    clock.set(Date.UTC(2026, 10, 30, 23)); // midnight, 1 December, in Berlin
    expect(await hub.pool('invoice').status()).toMatchObject({ state: 'available', spent: 0 });
  });

  it('charges a request once however often its settle is retried', async () => {
    const { hub } = await makeHub();
    const lease = await hub.begin({ requestId: 'same', amount: usd('1') });
    await lease.settle({ cost: usd('1.5') });
    await lease.settle({ cost: usd('1.5') });
    expect((await hub.pool('invoice').status()).spent).toBe(usd('1.5'));
  });

  it('names the option that is wrong', () => {
    expect(() => invoiceAccount({ id: '', creditLine: '10' })).toThrow(/option "id"/);
    expect(() => invoiceAccount({ id: 'invoice', creditLine: 'ten' })).toThrow(
      /option "creditLine" is "ten", not a USD amount/,
    );
    expect(() => invoiceAccount({ id: 'invoice', creditLine: '0' })).toThrow(
      /option "creditLine" must be more than zero/,
    );
    expect(() => invoiceAccount({ id: 'invoice', creditLine: '10', warnAt: 2 })).toThrow(/option "warnAt" is 2/);
  });

  it('names the refusing limit by its stable id, and says when it resets', async () => {
    const { hub } = await makeHub();
    const error = await hub
      .pool('invoice')
      .reserve({ key: 'big', amount: usd('11') })
      .catch((e: unknown) => e);
    if (!isDrawdownError(error, ErrorCodes.POOL_EXHAUSTED)) throw error;
    expect(error.data).toMatchObject({
      poolId: 'invoice',
      limitId: 'credit-line',
      limit: 'invoice credit line',
      available: usd('10'),
      requested: usd('11'),
      resetsAt: Date.UTC(2026, 10, 30, 23),
    });
    expect(error.message).toBe('invoice account "invoice": $11.00 does not fit in the $10.00 left on the credit line');
  });

  it('runs the example from the README to the refusal', async () => {
    const lines = await main();
    expect(lines.filter((l) => l.startsWith('request '))).toHaveLength(6);
    expect(lines).toContain('event invoice.near-limit: $24.00 of the $25.00 credit line used');
    expect(lines.at(-1)).toMatch(
      /^refused \(DRAWDOWN_ROUTE_EXHAUSTED\): .*does not fit in the \$1\.00 left on the credit line/,
    );
  });
});
