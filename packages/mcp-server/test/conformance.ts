import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PoolView } from '../src/schemas.js';
import { SECRET_KEY } from './fixtures/hub.js';
import {
  callError,
  callJson,
  ERAS,
  seededLedger,
  startWriter,
  until,
  type Era,
  type LedgerWriter,
  type TestClient,
} from './helpers.js';
import { snapshotLedger, type LedgerSnapshot } from './ledger-snapshot.js';

/** The servers of one transport for one era, all reading one SQLite ledger, shared by a block's tests. */
export interface Served {
  /**
   * A connected client of the server with writes off or on. `canConfirm: false` gives a client that
   * declares no elicitation, so it cannot ask its user anything.
   */
  client(options: { writes: boolean; canConfirm?: boolean }): Promise<TestClient>;
  /** Ends what one test opened (its own connections, where the transport makes them per test). */
  afterTest(): Promise<void>;
  close(): Promise<void>;
}

export type Serve = (options: { era: Era; db: string }) => Promise<Served>;

const READ_TOOLS = ['estimate_cost', 'pool_status', 'rate_card', 'usage_report', 'which_pool'];

/**
 * The behaviour every transport must show, in both protocol eras, driven by the real SDK client.
 * Each block starts its servers and a ledger-writing process once; before every test the ledger is
 * put back to the fixture's state, so tests do not depend on each other or on their order.
 */
export function describeServer(transport: string, serve: Serve): void {
  for (const era of ERAS) {
    describe(`over ${transport}, ${era === 'legacy' ? '2025-11-25' : '2026-07-28'} era`, () => {
      let served: Served;
      let writer: LedgerWriter;
      let ledger: LedgerSnapshot;
      beforeAll(async () => {
        const db = await seededLedger();
        [served, writer] = await Promise.all([serve({ era, db }), startWriter(db)]);
        ledger = snapshotLedger(db);
      });
      afterAll(async () => {
        ledger?.close();
        await Promise.all([served?.close(), writer?.close()]);
      });
      beforeEach(() => ledger.restore());
      afterEach(() => served.afterTest());
      const start = (options: { writes: boolean; canConfirm?: boolean }) => served.client(options);

      it('negotiates the era the client asked for', async () => {
        const client = await start({ writes: false });
        expect(client.getProtocolEra()).toBe(era);
      });

      it('lists the read-only tools with titles, output schemas and honest annotations, and no write tools', async () => {
        const client = await start({ writes: false });
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual(READ_TOOLS);
        for (const tool of tools) {
          expect(tool.title).toBeTruthy();
          expect(tool.description!.length).toBeGreaterThan(80);
          expect(tool.outputSchema).toBeDefined();
          expect(tool.annotations).toMatchObject({
            readOnlyHint: true,
            destructiveHint: false,
            idempotentHint: true,
            openWorldHint: false,
          });
        }
      });

      it('reports every pool with exact money, caps, auto-reload and route position', async () => {
        const client = await start({ writes: false });
        const status = await callJson(client, 'pool_status');
        expect(status.pools.map((p: { id: string }) => p.id)).toEqual(['trial', 'credits']);
        const [trial, credits] = status.pools as [PoolView, PoolView];
        expect(trial).toMatchObject({
          kind: 'budget',
          state: 'available',
          remainingUsd: '10',
          limitUsd: '10',
          spentUsd: '0',
          heldUsd: '0',
        });
        expect(trial.limits[0]).toMatchObject({ name: 'trial budget', capUsd: '10', status: 'allowed' });
        expect(trial.route).toEqual([expect.objectContaining({ entryId: 'trial', position: 0, state: 'next' })]);
        expect(credits).toMatchObject({ kind: 'credits', remainingUsd: '5', autoReload: null });
        expect(credits.route[0]).toMatchObject({ entryId: 'credits', position: 1, state: 'standby' });
        const one = await callJson(client, 'pool_status', { poolId: 'credits' });
        expect(one.pools).toEqual([credits]);
      });

      it('explains which pool pays next and what happens when it runs out', async () => {
        const client = await start({ writes: false });
        const route = await callJson(client, 'which_pool');
        expect(route.next).toMatchObject({ entryId: 'trial', poolId: 'trial', strategyId: 'bundled' });
        expect(route.whenExhausted).toContain('credits');
        expect(route.entries.map((e: { state: string }) => e.state)).toEqual(['next', 'standby']);
      });

      it('estimates a request under each pool of the route at rate-card prices', async () => {
        const client = await start({ writes: false });
        const estimate = await callJson(client, 'estimate_cost', {
          model: 'claude-sonnet-4-5',
          inputTokens: 1000,
          maxTokens: 1000,
        });
        // $3/MTok in, $15/MTok out: 0.003 + 0.015.
        expect(estimate).toMatchObject({
          model: 'claude-sonnet-4-5',
          maxCostUsd: '0.018',
          inputTokens: 1000,
          maxTokens: 1000,
        });
        expect(estimate.pools).toEqual([
          expect.objectContaining({
            entryId: 'trial',
            poolId: 'trial',
            chargedUsd: '0.018',
            remainingUsd: '10',
            fits: true,
          }),
          expect.objectContaining({
            entryId: 'credits',
            poolId: 'credits',
            chargedUsd: '0.018',
            remainingUsd: '5',
            fits: true,
          }),
        ]);
        const cachedBatch = await callJson(client, 'estimate_cost', {
          model: 'claude-haiku-4-5',
          text: 'x'.repeat(3000),
          maxTokens: 0,
          cacheWrite: '1h',
          batch: true,
        });
        // 1000 tokens written to the 1-hour cache at 2 × $1/MTok, halved by the Batch API.
        expect(cachedBatch.maxCostUsd).toBe('0.001');
      });

      it('shows the prices in force for one model and for all', async () => {
        const client = await start({ writes: false });
        const haiku = await callJson(client, 'rate_card', { model: 'claude-haiku-4-5' });
        expect(haiku.models).toEqual([
          expect.objectContaining({
            model: 'claude-haiku-4-5',
            inputPerMTokUsd: '1',
            outputPerMTokUsd: '5',
            cacheWrite5mPerMTokUsd: '1.25',
            cacheWrite1hPerMTokUsd: '2',
            cacheReadPerMTokUsd: '0.1',
          }),
        ]);
        expect(haiku).toMatchObject({ batchMultiplier: '0.5', webSearchPerRequestUsd: '0.01' });
        const all = await callJson(client, 'rate_card');
        expect(all.models.length).toBeGreaterThan(5);
      });

      it('reports spend and tokens written by another process, grouped, with exact totals', async () => {
        const client = await start({ writes: false });
        await writer.charge('trial', 1_234_567);
        await writer.charge('credits', 100_000_001);
        const report = await callJson(client, 'usage_report', { groupBy: ['pool'] });
        expect(report.rows).toEqual([
          expect.objectContaining({
            pool: 'credits',
            costUsd: '0.100000001',
            requests: 1,
            inputTokens: 1000,
            outputTokens: 200,
          }),
          expect.objectContaining({ pool: 'trial', costUsd: '0.001234567', requests: 1 }),
        ]);
        expect(report.totals).toMatchObject({
          costUsd: '0.101234568',
          requests: 2,
          inputTokens: 2000,
          outputTokens: 400,
        });
      });

      it('answers bad input with tool errors that say what to fix, and stays up', async () => {
        const client = await start({ writes: false });
        expect(await callError(client, 'pool_status', { poolId: 'nope' })).toMatch(/no pool "nope".*"trial"/);
        expect(
          await callError(client, 'estimate_cost', { model: 'claude-sonet-4-5', inputTokens: 10, maxTokens: 10 }),
        ).toMatch(/No price for model "claude-sonet-4-5".*claude-sonnet-4-5/);
        expect(await callError(client, 'estimate_cost', { model: 'claude-sonnet-4-5', maxTokens: 10 })).toMatch(
          /inputTokens or text/,
        );
        expect(
          await callError(client, 'estimate_cost', { model: 'claude-sonnet-4-5', inputTokens: -1, maxTokens: 10 }),
        ).toMatch(/inputTokens/);
        expect(await callError(client, 'usage_report', { from: '2026-11-30', to: '2026-11-01' })).toMatch(
          /ends \(2026-11-01\) before it starts/,
        );
        expect(await callError(client, 'usage_report', { from: '2026-02-30' })).toMatch(/not a calendar date/);
        expect(await callError(client, 'rate_card', { model: 7 })).toMatch(/model/);
        expect((await callJson(client, 'pool_status')).pools).toHaveLength(2);
      });

      it('serves the pool resources and the template, listed per pool', async () => {
        const client = await start({ writes: false });
        const { resources } = await client.listResources();
        // The dashboard's MCP App is listed only when one is given (test/app.test.ts).
        expect(resources.map((r) => r.uri)).toEqual([
          'drawdown://pools',
          'drawdown://pools/trial',
          'drawdown://pools/credits',
        ]);
        const { resourceTemplates } = await client.listResourceTemplates();
        expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['drawdown://pools/{id}']);
        const all = JSON.parse(
          ((await client.readResource({ uri: 'drawdown://pools' })).contents[0] as { text: string }).text,
        );
        expect(all.pools.map((p: { id: string }) => p.id)).toEqual(['trial', 'credits']);
        const trial = (await client.readResource({ uri: 'drawdown://pools/trial' })).contents[0] as {
          text: string;
          mimeType: string;
        };
        expect(trial.mimeType).toBe('application/json');
        expect(JSON.parse(trial.text)).toMatchObject({ id: 'trial', remainingUsd: '10' });
        expect(trial.text).not.toContain(SECRET_KEY);
        await expect(client.readResource({ uri: 'drawdown://pools/missing' })).rejects.toThrow(/missing/);
      });

      it('pushes a live update when another process writes to the ledger', async () => {
        const client = await start({ writes: false });
        const uris = ['drawdown://pools', 'drawdown://pools/credits'];
        let listening: Awaited<ReturnType<TestClient['listen']>> | undefined;
        if (era === 'legacy') for (const uri of uris) await client.subscribeResource({ uri });
        else {
          listening = await client.listen({ resourceSubscriptions: uris });
          expect(listening.honoredFilter.resourceSubscriptions).toEqual(uris);
        }
        try {
          await writer.charge('credits', 2_000_000_000);
          await until(
            () => uris.every((uri) => client.updates.includes(uri)),
            'resources/updated for the credits pool',
          );
          const credits = JSON.parse(
            ((await client.readResource({ uri: 'drawdown://pools/credits' })).contents[0] as { text: string }).text,
          );
          expect(credits.remainingUsd).toBe('3');
          // Only what was subscribed is announced.
          expect(client.updates).not.toContain('drawdown://pools/trial');
        } finally {
          // The connection may serve later tests: they must not hear about this block's writes.
          if (era === 'legacy') for (const uri of uris) await client.unsubscribeResource({ uri });
          await listening?.close();
        }
      });

      it('refuses write tools when writes are disabled', async () => {
        const client = await start({ writes: false });
        const refused = await client
          .callTool({ name: 'add_funds', arguments: { poolId: 'credits', amountUsd: '5' } })
          .then(
            (result) => (result.isError ? (result.content as Array<{ text: string }>)[0]!.text : 'accepted'),
            (error: Error) => error.message,
          );
        expect(refused).toMatch(/add_funds/);
        expect(client.confirmations).toEqual([]);
        expect((await callJson(client, 'pool_status', { poolId: 'credits' })).pools[0]!.remainingUsd).toBe('5');
      });

      it('adds funds and sets auto-reload only after the user confirms', async () => {
        const client = await start({ writes: true });
        const { tools } = await client.listTools();
        for (const name of ['add_funds', 'set_auto_reload']) {
          expect(tools.find((t) => t.name === name)?.annotations).toMatchObject({
            readOnlyHint: false,
            destructiveHint: true,
          });
        }
        const added = await callJson(client, 'add_funds', { poolId: 'credits', amountUsd: '2.50' });
        expect(added).toMatchObject({ status: 'succeeded', amountUsd: '2.5', pool: { remainingUsd: '7.5' } });
        expect(client.confirmations).toEqual([expect.stringContaining('Add $2.50 to "credits"')]);
        const reload = await callJson(client, 'set_auto_reload', {
          poolId: 'credits',
          enabled: true,
          thresholdUsd: '5',
          amountUsd: '20',
          monthlyLimitUsd: '100',
        });
        expect(reload.autoReload).toEqual({ thresholdUsd: '5', amountUsd: '20', monthlyLimitUsd: '100' });
        expect(reload.pool.autoReload).toEqual(reload.autoReload);
        expect(client.confirmations[1]).toMatch(/below \$5\.00, buy \$20\.00.*at most \$100\.00 a month/);
        const off = await callJson(client, 'set_auto_reload', { poolId: 'credits', enabled: false });
        expect(off.autoReload).toBeNull();
      });

      it('changes nothing when the user declines', async () => {
        const client = await start({ writes: true });
        client.answer = 'decline';
        expect(await callError(client, 'add_funds', { poolId: 'credits', amountUsd: '2.50' })).toMatch(
          /declined; nothing was changed.*DRAWDOWN_MCP_NOT_CONFIRMED/,
        );
        expect((await callJson(client, 'pool_status', { poolId: 'credits' })).pools[0]!.remainingUsd).toBe('5');
      });

      it('refuses a write the client cannot ask its user to confirm', async () => {
        const client = await start({ writes: true, canConfirm: false });
        expect(await callError(client, 'add_funds', { poolId: 'credits', amountUsd: '1' })).toMatch(
          /cannot ask its user to confirm.*DRAWDOWN_MCP_CONFIRMATION_UNAVAILABLE/,
        );
        expect((await callJson(client, 'pool_status', { poolId: 'credits' })).pools[0]!.remainingUsd).toBe('5');
      });

      it('checks write input before asking the user anything', async () => {
        const client = await start({ writes: true });
        expect(await callError(client, 'add_funds', { poolId: 'trial', amountUsd: '1' })).toMatch(
          /cannot take funds.*"credits"/,
        );
        expect(await callError(client, 'add_funds', { poolId: 'credits', amountUsd: '0' })).toMatch(/more than zero/);
        expect(await callError(client, 'add_funds', { poolId: 'credits', amountUsd: '1e3' })).toMatch(/USD amount/);
        expect(
          await callError(client, 'set_auto_reload', { poolId: 'credits', enabled: true, thresholdUsd: '5' }),
        ).toMatch(/exactly one of amountUsd/);
        expect(client.confirmations).toEqual([]);
      });
    });
  }
}
