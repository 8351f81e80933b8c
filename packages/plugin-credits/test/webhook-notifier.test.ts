import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub, memoryStore, silentLogger, usd, type Logger } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  credits,
  manualProvider,
  signWebhook,
  verifyWebhookSignature,
  webhookNotifier,
  type WebhookBody,
} from '../src/index.js';
import { crossTeamLevel } from './helpers.js';

const SECRET = 'whsec_loopback_0123456789abcdef';

/** A real HTTP receiver that answers each delivery with the next scripted status (then 200). */
async function receiver(statuses: number[] = []) {
  const received: Array<{ headers: IncomingHttpHeaders; body: string; status: number }> = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const status = statuses.shift() ?? 200;
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
    res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/drawdown?token=path-secret`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const warnings: string[] = [];
const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(m) };

async function hubWith(url: string, extra: { retries?: number } = {}) {
  const manual = manualProvider();
  const hub = await createHub({
    store: memoryStore(),
    clock: manualClock(),
    logger,
    plugins: [
      credits({ provider: manual, alerts: { balanceBelow: ['5'] } }),
      webhookNotifier({ url, secret: SECRET, backoffMs: [5], events: ['pool.low'], ...extra }),
    ],
  });
  await manual.grant({ amount: '6' });
  const pool = hub.pool('credits');
  await pool.reserve({ key: 'r', amount: usd('2') });
  await pool.settle({ key: 'r', cost: usd('2') });
  return hub;
}

describe('webhook notifier', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    warnings.length = 0;
  });

  it('posts a signed JSON alert and retries 5xx answers with the same delivery id', async () => {
    const r = await receiver([503, 500]);
    close = r.close;
    const hub = await hubWith(r.url);
    await hub.close();
    const lows = r.received.filter((d) => d.headers['drawdown-event'] === 'pool.low');
    expect(lows.map((d) => d.status)).toEqual([503, 500, 200]);
    const bodies = lows.map((d) => JSON.parse(d.body) as WebhookBody);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(bodies[0]).toMatchObject({
      event: 'pool.low',
      poolId: 'credits',
      message: 'credits: balance $4.00 fell under $5.00',
    });
    for (const d of lows) {
      expect(d.headers['content-type']).toBe('application/json');
      expect(
        verifyWebhookSignature({ body: d.body, header: d.headers['drawdown-signature'] as string, secret: SECRET }),
      ).toBe(true);
    }
    expect(r.received.map((d) => d.body).join('')).not.toContain(SECRET);
  });

  it('gives up after its retries and logs the receiver by origin only', async () => {
    const r = await receiver([500, 500, 500, 500, 500, 500, 500, 500]);
    close = r.close;
    const hub = await hubWith(r.url, { retries: 1 });
    await hub.close();
    expect(r.received.filter((d) => d.headers['drawdown-event'] === 'pool.low')).toHaveLength(2);
    const warning = warnings.find((w) => w.includes('pool.low'));
    expect(warning).toContain('after 2 attempts (HTTP 500)');
    expect(warnings.join('\n')).not.toContain('path-secret');
    expect(warnings.join('\n')).not.toContain(SECRET);
  });

  it('does not retry a 4xx answer', async () => {
    const r = await receiver([410]);
    close = r.close;
    const hub = await hubWith(r.url);
    await hub.close();
    expect(r.received.filter((d) => d.headers['drawdown-event'] === 'pool.low')).toHaveLength(1);
    expect(warnings.some((w) => w.includes('refused pool.low; not retried'))).toBe(true);
  });

  it('rejects signatures made with another secret, over another body, or too old', () => {
    const body = JSON.stringify({ event: 'pool.low' });
    const header = signWebhook(body, SECRET);
    expect(verifyWebhookSignature({ body, header, secret: SECRET })).toBe(true);
    expect(verifyWebhookSignature({ body, header, secret: `${SECRET}x` })).toBe(false);
    expect(verifyWebhookSignature({ body: `${body} `, header, secret: SECRET })).toBe(false);
    expect(
      verifyWebhookSignature({
        body,
        header: signWebhook(body, SECRET, Math.floor(Date.now() / 1000) - 3600),
        secret: SECRET,
      }),
    ).toBe(false);
    expect(verifyWebhookSignature({ body, header: undefined, secret: SECRET })).toBe(false);
  });

  it('validates its options, naming the field', () => {
    const field = (options: Record<string, unknown>) => {
      try {
        webhookNotifier({ url: 'https://example.com/h', secret: SECRET, ...options } as never);
      } catch (error) {
        return (error as { data: { field: string } }).data.field;
      }
      return undefined;
    };
    expect(field({ url: 'ftp://example.com' })).toBe('url');
    expect(field({ secret: 'short' })).toBe('secret');
    expect(field({ retries: -1 })).toBe('retries');
    expect(field({ backoffMs: [] })).toBe('backoffMs');
    expect(field({ events: ['listener.failed'] })).toBe('events[0]');
    expect(field({ closeTimeoutMs: -1 })).toBe('closeTimeoutMs');
    expect(field({ closeTimeoutMs: '5000' })).toBe('closeTimeoutMs');
    expect(field({ closeTimeoutMs: 0 })).toBeUndefined();
    expect(field({})).toBeUndefined();
  });

  it("posts a budget level's soft limit and budget crossings once each by default, however many requests cross together", async () => {
    const r = await receiver();
    close = r.close;
    await crossTeamLevel(webhookNotifier({ url: r.url, secret: SECRET }));
    const bodies = r.received
      .filter((d) => d.headers['drawdown-event'] === 'limit.crossed')
      .map((d) => JSON.parse(d.body) as WebhookBody);
    expect(bodies.map((b) => b.message).sort()).toEqual([
      'team "research" budget of $1.00 reached: $1.00 spent',
      'team "research" soft limit of $0.50 reached: $0.50 spent',
    ]);
    expect(bodies.find((b) => (b.payload as { soft: boolean }).soft)!.payload).toMatchObject({
      account: 'limit:team:research',
      level: usd('0.5'),
    });
  });
});
