import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub, silentLogger } from '@drawdown/core';
import {
  createOAuthClient,
  delegated,
  fileTokenStore,
  parseUnifiedHeaders,
  planAllowance,
} from '../packages/plugin-oauth/src/index.js';
import { startAuthServer } from '../packages/plugin-oauth/test/support/auth-server.js';
import { loopbackLogin } from '../packages/plugin-oauth/test/support/login.js';
import { percentile, round, sampleMicros, type Bench, type BenchRow } from './lib.js';

/** Token hot path, real refreshes against oidc-provider on loopback, and plan-window bookkeeping. */
export default (async () => {
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'drawdown-oauth-bench-'));
  const server = await startAuthServer();
  try {
    let now = Date.now();
    const clock = { now: () => now };
    const client = createOAuthClient({
      issuer: server.issuer,
      clientId: server.publicClientId,
      openBrowser: false,
      tokenStore: fileTokenStore({ path: join(dir, 'tokens.json') }),
      clock,
      logger: silentLogger,
    });
    await loopbackLogin(client);

    const hot = await sampleMicros(() => client.strategy.credentials(), 50_000, 5_000);
    rows.push({
      name: 'credentials() with a valid token p99',
      value: round(percentile(hot, 99), 2),
      unit: 'µs',
      aim: '< 5 µs',
    });

    const refreshes = await sampleMicros(() => client.forceRefresh(), 40, 5);
    rows.push({
      name: 'refresh round trip (file lock + oidc-provider) p50',
      value: round(percentile(refreshes, 50) / 1000, 2),
      unit: 'ms',
      note: 'loopback HTTP',
    });

    now += 3 * 3600_000;
    server.resetTokenRequests();
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: 50 }, () => client.strategy.credentials()));
    rows.push({
      name: '50 concurrent credentials() on an expired token',
      value: round(Number(process.hrtime.bigint() - started) / 1e6, 2),
      unit: 'ms',
    });
    rows.push({
      name: 'token endpoint hits for those 50',
      value: server.tokenRequests(),
      unit: 'requests',
      aim: '= 1',
    });
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const headers = {
    'anthropic-ratelimit-unified-status': 'allowed_warning',
    'anthropic-ratelimit-unified-reset': '1795000000',
    'anthropic-ratelimit-unified-representative-claim': 'five_hour',
    'anthropic-ratelimit-unified-5h-utilization': '0.91',
    'anthropic-ratelimit-unified-5h-reset': '1795000000',
    'anthropic-ratelimit-unified-7d-utilization': '0.4',
    'anthropic-ratelimit-unified-7d-reset': '1795400000',
    'content-type': 'application/json',
  };
  const parse = await sampleMicros(() => parseUnifiedHeaders(headers, 0), 100_000, 10_000);
  rows.push({
    name: 'parse unified plan headers p50',
    value: round(percentile(parse, 50), 2),
    unit: 'µs',
    aim: '< 10 µs',
  });
  rows.push({
    name: 'parse unified plan headers p99',
    value: round(percentile(parse, 99), 2),
    unit: 'µs',
    aim: '< 25 µs',
  });

  const hub = await createHub({
    logger: silentLogger,
    plugins: [delegated({ id: 'claude-login' }), planAllowance({ id: 'plan' })],
  });
  const pool = hub.pool('plan');
  let at = Date.now();
  const observe = await sampleMicros(() => pool.observe!({ source: 'headers', headers, at: at++ }), 20_000, 2_000);
  rows.push({
    name: 'allowance observe (merge + store + refresh) p99',
    value: round(percentile(observe, 99), 1),
    unit: 'µs',
    note: 'memory store',
  });
  const status = await sampleMicros(() => pool.status(), 20_000, 2_000);
  rows.push({
    name: 'allowance status() p99',
    value: round(percentile(status, 99), 1),
    unit: 'µs',
    aim: '< 50 µs',
    note: 'memory store',
  });
  await hub.close();
  return rows;
}) satisfies Bench;
