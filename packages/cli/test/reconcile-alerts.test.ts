import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiKey, budget, createHub, silentLogger } from '@drawdown/core';
import { reconcileSchedule } from '@drawdown/gateway';
import { verifyWebhookSignature, webhookNotifier, type WebhookBody } from '@drawdown/plugin-credits';
import { replies, startAnthropicServer } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';

const TRIAL_KEY = 'sk-ant-trial-reconcile-alerts-000001';
const ADMIN_KEY = 'sk-ant-admin01-reconcile-alerts-00002';
const SECRET = 'whsec-reconcile-alerts-0123456789abcdef';
const usage = { input_tokens: 1000, output_tokens: 500 };
const body = { model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] };

describe('a drifting scheduled reconcile reaches the webhook notifier', () => {
  it('posts reconcile.drift, signed, with the drift per pool, without being configured to', async () => {
    const received: WebhookBody[] = [];
    const receiver = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8').on('data', (c: string) => (text += c));
      req.on('end', () => {
        expect(
          verifyWebhookSignature({ body: text, header: req.headers['drawdown-signature'] as string, secret: SECRET }),
        ).toBe(true);
        received.push(JSON.parse(text) as WebhookBody);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const upstream = await startAnthropicServer({
      credentials: { trial: TRIAL_KEY },
      admin: { keys: { ops: ADMIN_KEY } },
    });
    let offset = 0;
    const hub = await createHub({
      logger: silentLogger,
      clock: { now: () => Date.now() + offset },
      plugins: [
        apiKey({ id: 'trialKey', key: TRIAL_KEY }),
        budget({ id: 'trial', amount: '10' }),
        webhookNotifier({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret: SECRET }),
      ],
      route: { entries: [{ id: 'trial', strategy: 'trialKey', pool: 'trial' }] },
    });
    try {
      // The ledger hears of none of this request: a drift of $0.0105 on the trial key.
      upstream.enqueue(replies.message({ usage }));
      const direct = await fetch(`${upstream.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': TRIAL_KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify(body),
      });
      expect(direct.status).toBe(200);
      offset = 2 * 3_600_000;
      await hub.use(
        reconcileSchedule({
          everyMs: 60_000,
          keys: { trial: 'apikey_trial' },
          adminKey: () => ADMIN_KEY,
          baseUrl: upstream.url,
        }),
      );
      for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({
        event: 'reconcile.drift',
        message: "reconcile: 1 group drifts $0.0105 from Anthropic's usage report (tolerance $0.01); pools: trial",
        payload: { driftNanos: 10_500_000, pools: { trial: -10_500_000 } },
      });
      expect(JSON.stringify(received)).not.toContain(ADMIN_KEY);
    } finally {
      await hub.close();
      await upstream.close();
      receiver.close();
    }
  }, 60_000);
});
