import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usd, type ChargeRecord, type GrantRecord } from '@drawdown/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CreditsStatusDetails } from '../src/index.js';
import { openSharedWallet, type SharedWalletConfig } from './fixtures/shared-wallet.js';
import { stripeServer } from './stripe-server.js';

const API_KEY = 'sk_test_drawdown_loopback_4242';
const WORKER = fileURLToPath(new URL('./fixtures/reload-worker.ts', import.meta.url));

interface WorkerReport {
  settled: number;
  reloaded: Array<{ amountUsd: string }>;
}

/** A real child process with its own hub on the shared SQLite file. */
function startWorker(config: SharedWalletConfig & { name: string; holds: number; cost: string }) {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--conditions=drawdown-source', '--import', 'tsx', WORKER, JSON.stringify(config)],
    { stdio: 'pipe' },
  );
  let stdout = '';
  let stderr = '';
  const waiting = new Map<string, () => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const [line, resolve] of waiting) if (stdout.split('\n').includes(line)) resolve();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const printed = (line: string): Promise<void> =>
    new Promise((resolve, reject) => {
      waiting.set(line, resolve);
      void exited.then((code) =>
        reject(new Error(`worker ${config.name} exited with ${code} before printing "${line}": ${stderr}`)),
      );
    });
  const ready = printed('ready');
  const settled = printed('settled');
  return {
    ready,
    settled,
    go: (): void => void child.stdin.write('go\n'),
    async report(): Promise<WorkerReport> {
      const code = await exited;
      if (code !== 0) throw new Error(`worker ${config.name} exited with ${code}: ${stderr}`);
      return JSON.parse(stdout.trim().split('\n').at(-1)!) as WorkerReport;
    },
    kill: (): boolean => child.kill(),
  };
}

describe('auto-reload across processes on one SQLite ledger', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof stripeServer>>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drawdown-credits-processes-'));
    server = await stripeServer({ apiKey: API_KEY });
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes exactly one payment and adds exactly one grant when settles in two processes cross the threshold together, and the ledger sums to the balance', async () => {
    const shared: SharedWalletConfig = { file: join(dir, 'ledger.sqlite'), stripePort: server.port, apiKey: API_KEY };

    // Seed the wallet with $10 through the same Stripe account, then let go of the file.
    const seeding = await openSharedWallet(shared);
    await seeding.pool.addFunds({ amount: usd('10'), idempotencyKey: 'seed' });
    await seeding.hub.close();
    await seeding.store.close();

    // 2 × 10 holds of $0.50 spend the whole $10. The first settle takes the balance under the
    // $9.75 threshold; the reload's payment is held in flight until both processes have settled
    // everything, so each of them meets a balance below the threshold while the reload runs.
    const reloadPayment = server.holdNext();
    const workers = ['a', 'b'].map((name) => startWorker({ ...shared, name, holds: 10, cost: '0.50' }));
    try {
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.go();
      await Promise.all([reloadPayment.arrived, ...workers.map((w) => w.settled)]);
      reloadPayment.open();
      const reports = await Promise.all(workers.map((w) => w.report()));

      expect(reports.map((r) => r.settled)).toEqual([10, 10]);
      expect(reports.flatMap((r) => r.reloaded)).toEqual([expect.objectContaining({ amountUsd: '20' })]);
    } finally {
      for (const w of workers) w.kill();
    }

    // The payments, counted by the Stripe server outside both processes: the seed and one reload.
    expect(server.charged().map((i) => [i.idempotencyKey, i.amount])).toEqual([
      ['seed', 1000],
      [expect.stringMatching(/^reload:credits:/), 2000],
    ]);

    const after = await openSharedWallet(shared);
    try {
      const entries = await after.store.entries({ account: 'credits' });
      const grants = entries.filter((e) => e.kind === 'grant').map((e) => e.record as GrantRecord);
      const charges = entries.filter((e) => e.kind === 'charge').map((e) => e.record as ChargeRecord);
      expect(grants.map((g) => [g.amount, g.source])).toEqual([
        [usd('10'), 'stripe:pi_000001'],
        [usd('20'), 'stripe:pi_000002'],
      ]);
      expect(charges).toHaveLength(20);
      expect(charges.every((c) => c.overdraft === 0)).toBe(true);

      const granted = grants.reduce((sum, g) => sum + g.amount, 0);
      const spent = charges.reduce((sum, c) => sum + c.cost, 0);
      const details = (await after.pool.status()).details as unknown as CreditsStatusDetails;
      expect(spent).toBe(usd('10'));
      expect(granted - spent).toBe(usd('20'));
      expect(details.balanceUsd).toBe('20');
      expect(grants.reduce((sum, g) => sum + g.remaining, 0)).toBe(granted - spent);
    } finally {
      await after.hub.close();
      await after.store.close();
    }
  });
});
