import { recordReconcileDrift } from '@drawdown/metrics';
import { describe, expect, it } from 'vitest';
import { scrape, setup } from './helpers.js';

const ask = (url: string, key: string, model = 'claude-haiku-5-5', stream = false) =>
  fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: 64, stream, messages: [{ role: 'user', content: 'hello' }] }),
  });

describe('/metrics', () => {
  it('reports spend and holds equal to the ledger, refusals by reason, latency and upstream statuses, in the text format', async () => {
    const { gateway, keys, hub } = await setup();
    const { key } = await keys.create({ name: 'app', routes: ['trial', 'credits'] });
    const { key: limited } = await keys.create({
      name: 'limited',
      routes: ['trial'],
      models: ['claude-haiku-5-5'],
      requestsPerMinute: 1,
    });
    expect((await ask(gateway.url, key)).status).toBe(200);
    expect((await ask(gateway.url, key, 'claude-sonnet-5-5', true)).status).toBe(200);
    expect((await ask(gateway.url, limited)).status).toBe(200);
    expect((await ask(gateway.url, limited, 'claude-opus-5-5')).status).toBe(403);
    expect((await ask(gateway.url, limited)).status).toBe(429);
    expect((await ask(gateway.url, 'ddk_nope')).status).toBe(401);
    await gateway.idle();

    const { text, family, value } = await scrape(gateway.url);
    expect(family('drawdown_spend_nanodollars_total').type).toBe('COUNTER');
    for (const pool of ['trial', 'credits']) {
      const charges = await hub.store.entries({ account: pool, kinds: ['charge'] });
      const ledger = charges.reduce((sum, e) => sum + (e.kind === 'charge' ? e.record.cost : 0), 0);
      expect(value('drawdown_spend_nanodollars_total', { pool })).toBe(ledger);
      expect(value('drawdown_held_nanodollars', { pool })).toBe(0);
      expect(value('drawdown_holds', { pool })).toBe(0);
    }
    expect(value('drawdown_spend_nanodollars_total', { pool: 'trial' })).toBeGreaterThan(0);
    expect(value('drawdown_refusals_total', { reason: 'model_not_allowed' })).toBe(1);
    expect(value('drawdown_refusals_total', { reason: 'rate_limit_requests' })).toBe(1);
    expect(value('drawdown_refusals_total', { reason: 'invalid_key' })).toBe(1);
    expect(value('drawdown_upstream_responses_total', { status: '200' })).toBe(3);
    expect(family('drawdown_http_request_duration_seconds').type).toBe('HISTOGRAM');
    // The parser folds a histogram's labelled series into one, so the per-series counts are read from their lines.
    const count = (status: string) =>
      Number(
        new RegExp(
          `^drawdown_http_request_duration_seconds_count\\{server="gateway",route="messages",status="${status}"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    expect([count('200'), count('403'), count('429'), count('401')]).toEqual([3, 1, 1, 1]);

    // Spend keeps agreeing as the ledger grows; a counter never goes down.
    expect((await ask(gateway.url, key)).status).toBe(200);
    await gateway.idle();
    const again = await scrape(gateway.url);
    const trialCharges = await hub.store.entries({ account: 'trial', kinds: ['charge'] });
    expect(again.value('drawdown_spend_nanodollars_total', { pool: 'trial' })).toBe(
      trialCharges.reduce((sum, e) => sum + (e.kind === 'charge' ? e.record.cost : 0), 0),
    );
  });

  it('reports the drift of the last reconcile recorded in the store, from any process', async () => {
    const { gateway, hub } = await setup();
    expect((await scrape(gateway.url)).family('drawdown_reconcile_drift_nanodollars').metrics).toEqual([]);
    await recordReconcileDrift(hub.store, {
      at: Date.parse('2026-11-26T15:00:00Z'),
      pools: { trial: -1250, credits: 0 },
    });
    const { value } = await scrape(gateway.url);
    expect(value('drawdown_reconcile_drift_nanodollars', { pool: 'trial' })).toBe(-1250);
    expect(value('drawdown_reconcile_last_run_timestamp_seconds')).toBe(Date.parse('2026-11-26T15:00:00Z') / 1000);
    await expect(recordReconcileDrift(hub.store, { at: 0, pools: { trial: 0.5 } })).rejects.toThrow(
      'must be a whole number of nanodollars',
    );
  });

  it('stays behind the guard: a foreign Host or browser Origin is refused', async () => {
    const { gateway } = await setup();
    const foreign = await fetch(`${gateway.url}/metrics`, { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
  });
});
