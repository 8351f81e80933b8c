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
import { afterEach } from 'vitest';
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
    gateway?: Partial<GatewayOptions>;
    fallback?: AnthropicServerOptions['fallback'];
    clock?: Clock;
    timeZone?: string;
  } = {},
): Promise<Setup> {
  const upstream = await startAnthropicServer({
    credentials: { trial: TRIAL_SECRET, credits: CREDITS_SECRET },
    ...(options.fallback && { fallback: options.fallback }),
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
  const gateway = await startGateway({ hub, upstream: { url: upstream.url }, ...options.gateway });
  cleanups.push(() => gateway.close());
  return { upstream, hub, gateway, logger, keys: keyManager(hub.store, { now: () => hub.clock.now() }) };
}
