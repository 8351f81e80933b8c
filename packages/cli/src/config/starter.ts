import type { DrawdownConfig } from './types.js';

/** The starting points `drawdown config init` offers. */
export const profileIds = ['desktop-app', 'api-key', 'team'] as const;
export type ProfileId = (typeof profileIds)[number];

export interface Profile {
  id: ProfileId;
  title: string;
  /** One line on what it sets up, for the prompt and the README. */
  summary: string;
  config(options: { timeZone: string; connectionString?: string }): DrawdownConfig;
}

export const profiles: Record<ProfileId, Profile> = {
  'desktop-app': {
    id: 'desktop-app',
    title: 'desktop app',
    summary:
      "bundled key with a $10 trial → the user's own Claude login (plan allowance) → their credits, only after they opt in",
    config: ({ timeZone }) => ({
      timeZone,
      store: { kind: 'sqlite' },
      strategies: {
        bundled: { kind: 'apiKey', envVar: 'MYAPP_TRIAL_KEY' },
        'claude-login': { kind: 'delegated' },
        'own-key': { kind: 'apiKey', envVar: 'ANTHROPIC_API_KEY' },
      },
      pools: {
        trial: { kind: 'budget', amount: '10.00', label: 'trial' },
        plan: { kind: 'planAllowance', label: 'Claude plan' },
        credits: { kind: 'credits', monthlyLimit: '100' },
      },
      route: [
        { id: 'trial', strategy: 'bundled', pool: 'trial' },
        { id: 'personal', strategy: 'claude-login', pool: 'plan' },
        { id: 'credits', strategy: 'own-key', pool: 'credits', requiresOptIn: true },
      ],
    }),
  },
  'api-key': {
    id: 'api-key',
    title: 'API-key budget',
    summary: 'your ANTHROPIC_API_KEY with a $10 monthly budget',
    config: ({ timeZone }) => ({
      timeZone,
      store: { kind: 'sqlite' },
      strategies: { key: { kind: 'apiKey', envVar: 'ANTHROPIC_API_KEY' } },
      pools: { monthly: { kind: 'budget', amount: '10.00', period: 'month' } },
      route: [{ id: 'api', strategy: 'key', pool: 'monthly' }],
    }),
  },
  team: {
    id: 'team',
    title: 'team on PostgreSQL',
    summary: 'one shared ledger in PostgreSQL: a $200 monthly team budget on the team key, then a $20 daily budget',
    config: ({ timeZone, connectionString }) => ({
      timeZone,
      store: { kind: 'postgres', connectionString: connectionString ?? 'postgres://localhost:5432/drawdown' },
      strategies: { team: { kind: 'apiKey', envVar: 'ANTHROPIC_API_KEY' } },
      pools: {
        'team-month': { kind: 'budget', amount: '200.00', period: 'month', label: 'team monthly budget' },
        'team-day': { kind: 'budget', amount: '20.00', period: 'day', label: 'daily ceiling' },
      },
      route: [
        { id: 'monthly', strategy: 'team', pool: 'team-month' },
        { id: 'daily', strategy: 'team', pool: 'team-day' },
      ],
    }),
  },
};

/** What `drawdown config init` wrote before profiles existed: the API-key budget, in UTC. */
export const starterConfig: DrawdownConfig = profiles['api-key'].config({ timeZone: 'UTC' });
