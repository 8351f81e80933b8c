import pg from 'pg';
import { usd, type LedgerChange } from '@drawdown/core';
import { expect, it } from 'vitest';
import { postgresStore } from '../src/index.js';
import { channelOf } from '../src/migrations.js';
import { describePostgres, uniqueSchema, url } from './postgres.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const DAY = { scopes: [], day: '2026-11-23' };

/** A plain LISTEN on the schema's channel: every NOTIFY the server sends for it, as received. */
async function rawListener(schema: string): Promise<{ payloads: string[]; end(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const payloads: string[] = [];
  client.on('notification', (message) => payloads.push(message.payload ?? ''));
  await client.query(`LISTEN "${channelOf(schema)}"`);
  return { payloads, end: () => client.end() };
}

const until = async (done: () => boolean): Promise<void> => {
  const deadline = Date.now() + 30_000;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
};

describePostgres('postgres announcements', () => {
  it('sends one NOTIFY per transaction: a batch of 40 settles is one notification naming all 40, which peers deliver one by one', async () => {
    const schema = uniqueSchema();
    const store = await postgresStore({ connectionString: url, schema, listen: false });
    const peer = await postgresStore({ connectionString: url, schema });
    const heard: LedgerChange[] = [];
    peer.watch((change) => heard.push(change));
    const raw = await rawListener(schema);
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
      const results = await Promise.all(
        keys.map((key) => store.settle({ account: 'trial', key, cost: usd('0.01'), now: NOW, ...DAY })),
      );
      expect(results.every((r) => r.status === 'settled')).toBe(true);
      // The peer's and the plain listener's connections each receive the notification in their own time.
      await until(() => heard.length >= 40 && raw.payloads.length >= 1);
      expect(raw.payloads).toHaveLength(1);
      expect(JSON.parse(raw.payloads[0]!).c).toHaveLength(40);
      expect(heard.map((c) => c.key).sort()).toEqual([...keys].sort());
      expect(heard.every((c) => c.origin === 'remote' && c.kind === 'settle' && c.account === 'trial')).toBe(true);

      // Duplicates change nothing and announce nothing.
      await Promise.all(
        keys.map((key) => store.settle({ account: 'trial', key, cost: usd('0.01'), now: NOW, ...DAY })),
      );
      await store.setState('marker', 1); // announced on its own, and after the duplicates' (absent) notification
      await until(() => raw.payloads.length >= 2);
      expect(raw.payloads).toHaveLength(2);
      expect(JSON.parse(raw.payloads[1]!).c).toEqual([[null, 'state', 'marker']]);
    } finally {
      await raw.end();
      await peer.close();
      await store.close();
    }
  }, 60_000);

  it('splits a transaction whose changes pass the 8000-byte NOTIFY limit into as few notifications as fit, losing none', async () => {
    const schema = uniqueSchema();
    const store = await postgresStore({ connectionString: url, schema, listen: false });
    const raw = await rawListener(schema);
    try {
      const keys = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}-${'x'.repeat(1500)}`);
      await Promise.all(
        keys.map((key) => store.settle({ account: 'trial', key, cost: usd('0.01'), now: NOW, ...DAY })),
      );
      await until(() => raw.payloads.flatMap((p) => JSON.parse(p).c).length >= 20);
      const announced = raw.payloads.flatMap((p) => (JSON.parse(p) as { c: string[][] }).c.map((c) => c[2]));
      expect(announced.sort()).toEqual([...keys].sort());
      expect(raw.payloads.length).toBeGreaterThan(1);
      expect(raw.payloads.length).toBeLessThanOrEqual(5); // 20 × ~1.5 kB in ≤ 7 kB parts
      for (const payload of raw.payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    } finally {
      await raw.end();
      await store.close();
    }
  }, 60_000);
});
