import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Stored {
  status: number;
  body: string;
}

export interface PaymentIntentRecord {
  id: string;
  amount: number;
  currency: string;
  customer: string;
  paymentMethod: string;
  status: string;
  idempotencyKey?: string;
}

/**
 * A loopback HTTP server speaking the part of the Stripe API the provider uses:
 * `POST /v1/payment_intents` (form-encoded, Bearer key), idempotent replay on `Idempotency-Key`
 * (a second request with the key returns the stored response, marked `idempotent-replayed`),
 * Stripe-shaped error bodies, and a slow mode
 * that completes a payment but holds back the answer (a client timeout after the charge).
 *
 * Payment methods behave like Stripe's test cards: `pm_card_visa` succeeds,
 * `pm_card_chargeDeclined` is declined (card_declined), `pm_card_authenticationRequired` needs
 * authentication, `pm_card_threeDSecureRequired` returns a PaymentIntent in `requires_action`.
 */
export async function stripeServer(options: { apiKey: string }) {
  const intents: PaymentIntentRecord[] = [];
  const stored = new Map<string, Stored>();
  const requests: Array<{ path: string; idempotencyKey?: string; replayed: boolean }> = [];
  let slow: { remaining: number; ms: number } = { remaining: 0, ms: 0 };
  let gate: { arrived: () => void; opened: Promise<void> } | undefined;
  let seq = 0;

  const send = (res: ServerResponse, stored: Stored, replayed = false): void => {
    res.writeHead(stored.status, {
      'content-type': 'application/json',
      'request-id': `req_${++seq}`,
      ...(replayed && { 'idempotent-replayed': 'true' }),
    });
    res.end(stored.body);
  };
  const error = (status: number, body: Record<string, unknown>): Stored => ({
    status,
    body: JSON.stringify({ error: body }),
  });

  function createIntent(form: URLSearchParams, key: string | undefined): Stored {
    for (const name of ['amount', 'currency', 'customer', 'payment_method']) {
      if (!form.get(name))
        return error(400, {
          type: 'invalid_request_error',
          code: 'parameter_missing',
          param: name,
          message: `Missing required param: ${name}.`,
        });
    }
    const amount = Number(form.get('amount'));
    if (!Number.isSafeInteger(amount) || amount < 50)
      return error(400, {
        type: 'invalid_request_error',
        code: 'amount_too_small',
        param: 'amount',
        message: 'Amount must be at least $0.50 usd',
      });
    if (form.get('confirm') !== 'true' || form.get('off_session') !== 'true') {
      return error(400, {
        type: 'invalid_request_error',
        code: 'parameter_invalid',
        message: 'This test server only handles confirm=true with off_session=true.',
      });
    }
    const paymentMethod = form.get('payment_method')!;
    const id = `pi_${String(intents.length + 1).padStart(6, '0')}`;
    const status =
      paymentMethod === 'pm_card_visa'
        ? 'succeeded'
        : paymentMethod === 'pm_card_threeDSecureRequired'
          ? 'requires_action'
          : 'requires_payment_method';
    const record: PaymentIntentRecord = {
      id,
      amount,
      currency: form.get('currency')!,
      customer: form.get('customer')!,
      paymentMethod,
      status,
      ...(key !== undefined && { idempotencyKey: key }),
    };
    intents.push(record);
    const intent = {
      id,
      object: 'payment_intent',
      amount,
      currency: record.currency,
      customer: record.customer,
      payment_method: paymentMethod,
      status,
      metadata: {},
    };
    if (paymentMethod === 'pm_card_chargeDeclined') {
      return error(402, {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        message: 'Your card was declined.',
        payment_intent: intent,
      });
    }
    if (paymentMethod === 'pm_card_authenticationRequired') {
      return error(402, {
        type: 'card_error',
        code: 'authentication_required',
        message: 'Your card was declined. This transaction requires authentication.',
        payment_intent: intent,
      });
    }
    return { status: 200, body: JSON.stringify(intent) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const key = req.headers['idempotency-key'] as string | undefined;
    const replay = key !== undefined ? stored.get(key) : undefined;
    requests.push({
      path: req.url ?? '',
      ...(key !== undefined && { idempotencyKey: key }),
      replayed: replay !== undefined,
    });
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return send(
        res,
        error(401, {
          type: 'invalid_request_error',
          message: `Invalid API Key provided: ${String(req.headers.authorization).slice(7, 15)}****`,
        }),
      );
    }
    if (req.method !== 'POST' || req.url !== '/v1/payment_intents')
      return send(
        res,
        error(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.url}).` }),
      );
    if (replay) return send(res, replay, true);
    const result = createIntent(new URLSearchParams(Buffer.concat(chunks).toString('utf8')), key);
    if (key !== undefined) stored.set(key, result);
    if (gate) {
      // The payment is done; the answer waits until the test opens the gate.
      const { arrived, opened } = gate;
      gate = undefined;
      arrived();
      await opened;
    }
    if (slow.remaining > 0) {
      // The payment is done; only the answer is late.
      slow.remaining--;
      await new Promise((resolve) => setTimeout(resolve, slow.ms));
    }
    if (!res.destroyed) send(res, result);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    client: { host: '127.0.0.1', port, protocol: 'http' as const },
    intents,
    requests,
    /** PaymentIntents that took money. */
    charged: () => intents.filter((i) => i.status === 'succeeded'),
    /** Holds back the answer to the next `count` payments for `ms` after completing them. */
    slowNext(count: number, ms: number): void {
      slow = { remaining: count, ms };
    },
    /**
     * Completes the next payment but holds back its answer until `open()`: a payment that is
     * surely in flight while the test does something else. `arrived` resolves when it came in.
     */
    holdNext(): { arrived: Promise<void>; open: () => void } {
      let arrived!: () => void;
      let open!: () => void;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      const opened = new Promise<void>((resolve) => (open = resolve));
      gate = { arrived, opened };
      return { arrived: arrival, open };
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
