import {
  apiKey,
  budget,
  createHub,
  memoryStore,
  type Clock,
  type Hub,
  type LedgerStore,
  type Logger,
} from '@drawdown/core';
import { startAnthropicServer, type AnthropicServer, type AnthropicServerOptions } from '@drawdown/testkit';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, expect } from 'vitest';
import { keyManager, startGateway, type Gateway, type GatewayOptions } from '../src/index.js';

export const TRIAL_SECRET = 'sk-ant-trial-0123456789abcdefSECRET';
export const CREDITS_SECRET = 'sk-ant-credits-0123456789abcdefSECRET';

/** A logger that keeps every line, to prove no secret reaches a log. */
export function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') } as Logger & {
    lines: string[];
  };
}

export interface Setup {
  upstream: AnthropicServer;
  hub: Hub;
  gateway: Gateway;
  logger: Logger & { lines: string[] };
  keys: ReturnType<typeof keyManager>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

/** Testkit upstream that knows two keys, a hub with a $1 trial and a $20 credits budget, and a gateway in front. */
export async function setup(
  options: {
    trial?: string;
    store?: LedgerStore;
    /** Gateway options, or a function of the upstream for options that name it (its URL). */
    gateway?: Partial<GatewayOptions> | ((upstream: AnthropicServer) => Partial<GatewayOptions>);
    fallback?: AnthropicServerOptions['fallback'];
    /** Serve the Admin API's usage and cost reports from the upstream's billing log. */
    admin?: AnthropicServerOptions['admin'];
    clock?: Clock;
    timeZone?: string;
  } = {},
): Promise<Setup> {
  const upstream = await startAnthropicServer({
    credentials: { trial: TRIAL_SECRET, credits: CREDITS_SECRET },
    ...(options.fallback && { fallback: options.fallback }),
    ...(options.admin && { admin: options.admin }),
  });
  cleanups.push(() => upstream.close());
  const logger = capturingLogger();
  const hub = await createHub({
    store: options.store ?? memoryStore(),
    logger,
    ...(options.clock && { clock: options.clock }),
    ...(options.timeZone && { timeZone: options.timeZone }),
    plugins: [
      apiKey({ id: 'trialKey', key: TRIAL_SECRET }),
      apiKey({ id: 'creditsKey', key: CREDITS_SECRET }),
      budget({ id: 'trial', amount: options.trial ?? '1.00', label: 'trial' }),
      budget({ id: 'credits', amount: '20.00', label: 'credits' }),
    ],
    route: {
      entries: [
        { id: 'trial', strategy: 'trialKey', pool: 'trial' },
        { id: 'credits', strategy: 'creditsKey', pool: 'credits', requiresOptIn: false },
      ],
    },
  });
  cleanups.push(() => hub.close());
  const extra = typeof options.gateway === 'function' ? options.gateway(upstream) : options.gateway;
  const gateway = await startGateway({ hub, upstream: { url: upstream.url }, ...extra });
  cleanups.push(() => gateway.close());
  return { upstream, hub, gateway, logger, keys: keyManager(hub.store, { now: () => hub.clock.now() }) };
}

/** One scrape of `/metrics`, parsed by a Prometheus text-format parser, with lookups by name and labels. */
export async function scrape(url: string) {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const text = await response.text();
  const families = parsePrometheusTextFormat(text);
  const family = (name: string) => {
    const found = families.find((f) => f.name === name);
    if (!found) throw new Error(`no metric family ${name} in the scrape`);
    return found;
  };
  const value = (name: string, labels: Record<string, string> = {}): number => {
    const sample = family(name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    return sample === undefined ? 0 : Number(sample.value);
  };
  return { text, families, family, value };
}
