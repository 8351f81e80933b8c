import type { DrawdownConfig } from './types.js';

/**
 * What `drawdown config init` writes: an API key with a $10 monthly budget. Add a delegated
 * strategy with a plan-allowance pool, and a credits pool, as the README shows.
 */
export const starterConfig: DrawdownConfig = {
  timeZone: 'UTC',
  store: { kind: 'sqlite' },
  strategies: { key: { kind: 'apiKey', envVar: 'ANTHROPIC_API_KEY' } },
  pools: { monthly: { kind: 'budget', amount: '10.00', period: 'month' } },
  route: [{ id: 'api', strategy: 'key', pool: 'monthly' }],
};
