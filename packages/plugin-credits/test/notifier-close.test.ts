import { execFile } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhookSignature, type WebhookBody } from '../src/index.js';

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL('./fixtures/close-flush-worker.ts', import.meta.url));
const SECRET = 'whsec_close_flush_0123456789abcdef';

/**
 * A real loopback receiver. `answer` picks each delivery's status by its number (0-based);
 * `null` never answers (the request is held open until the server closes).
 */
async function receiver(answer: (n: number) => number | null) {
  const received: Array<{ body: string; signature: string; status: number | null }> = [];
  const held = new Set<ServerResponse>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const status = answer(received.length);
    received.push({
      body: Buffer.concat(chunks).toString('utf8'),
      signature: String(req.headers['drawdown-signature']),
      status,
    });
    if (status === null) held.add(res);
    else res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/hooks/drawdown?token=path-secret`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs the worker to completion: a real Node process whose last act is `await hub.close()`. */
async function runWorker(config: { url: string; closeTimeoutMs?: number }) {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=drawdown-source', '--import', 'tsx', WORKER, JSON.stringify({ ...config, secret: SECRET })],
    { timeout: 50_000 },
  );
  const last = stdout.trim().split('\n').at(-1);
  // An empty stdout means the process ended before close() returned.
  expect(last, 'the worker printed its report after hub.close()').toBeTruthy();
  return JSON.parse(last!) as { warnings: string[] };
}

describe('notifiers at hub.close()', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('retries a waiting webhook delivery right away instead of letting the process exit', async () => {
    const r = await receiver((n) => (n === 0 ? 503 : 200));
    close = r.close;
    const { warnings } = await runWorker({ url: r.url });
    expect(r.received.map((d) => d.status)).toEqual([503, 200]);
    const bodies = r.received.map((d) => JSON.parse(d.body) as WebhookBody);
    expect(bodies[1]).toMatchObject({ event: 'pool.low', poolId: 'credits', id: bodies[0]!.id });
    expect(
      verifyWebhookSignature({ body: r.received[1]!.body, header: r.received[1]!.signature, secret: SECRET }),
    ).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('gives up on a receiver that never answers once the grace period ends, with one warning line', async () => {
    const r = await receiver(() => null);
    close = r.close;
    const { warnings } = await runWorker({ url: r.url, closeTimeoutMs: 300 });
    expect(r.received.length).toBeGreaterThanOrEqual(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('webhook "webhook"');
    expect(warnings[0]).toContain('pool.low');
    expect(warnings[0]).toContain(r.origin);
    expect(warnings[0]).toContain('closeTimeoutMs 300 (1 attempt, last: no answer)');
    expect(warnings[0]).not.toContain('path-secret');
    expect(warnings[0]).not.toContain(SECRET);
  });
});
