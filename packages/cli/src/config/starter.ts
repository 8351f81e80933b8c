import type { DrawdownConfig } from './types.js';

/** The starting points `drawdown config init` offers. */
export const profileIds = ['desktop-app', 'api-key', 'team'] as const;
export type ProfileId = (typeof profileIds)[number];

export interface Profile {
  id: ProfileId;
  title: string;
  /** One line on what it sets up, for the prompt and the README. */
  summary: string;
  /** Each apiKey strategy it writes, with what its key is for (the wizard asks for the variable). */
  keys: Record<string, { for: string; envVar: string }>;
  config(options: ProfileAnswers): DrawdownConfig;
}

/** What a profile's configuration is written from; what is left out takes the profile's default. */
export interface ProfileAnswers {
  timeZone: string;
  /** Team profile: the PostgreSQL database holding the shared ledger. */
  connectionString?: string;
  /** The variable each apiKey strategy reads its key from, by strategy id. */
  keyVariables?: Record<string, string>;
}

/** The PostgreSQL URL the team profile offers when asking (a local server, database "drawdown"). */
export const defaultConnectionString = 'postgres://localhost:5432/drawdown';

/** An apiKey strategy reading the variable answered for it, or the profile's default. */
function keyStrategy(profile: ProfileId, id: string, answers: ProfileAnswers) {
  const fallback = profiles[profile].keys[id]!.envVar;
  return { kind: 'apiKey' as const, envVar: answers.keyVariables?.[id] ?? fallback };
}

export const profiles: Record<ProfileId, Profile> = {
  'desktop-app': {
    id: 'desktop-app',
    title: 'desktop app',
    summary:
      "bundled key with a $10 trial → the user's own Claude login (plan allowance) → their credits, only after they opt in",
    keys: {
      bundled: { for: "the app's bundled trial key", envVar: 'MYAPP_TRIAL_KEY' },
      'own-key': { for: "the user's own key (credits)", envVar: 'ANTHROPIC_API_KEY' },
    },
    config: (answers) => ({
      timeZone: answers.timeZone,
      store: { kind: 'sqlite' },
      strategies: {
        bundled: keyStrategy('desktop-app', 'bundled', answers),
        'claude-login': { kind: 'delegated' },
        'own-key': keyStrategy('desktop-app', 'own-key', answers),
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
    keys: { key: { for: 'your API key', envVar: 'ANTHROPIC_API_KEY' } },
    config: (answers) => ({
      timeZone: answers.timeZone,
      store: { kind: 'sqlite' },
      strategies: { key: keyStrategy('api-key', 'key', answers) },
      pools: { monthly: { kind: 'budget', amount: '10.00', period: 'month' } },
      route: [{ id: 'api', strategy: 'key', pool: 'monthly' }],
    }),
  },
  team: {
    id: 'team',
    title: 'team on PostgreSQL',
    summary: 'one shared ledger in PostgreSQL: a $200 monthly team budget on the team key, then a $20 daily budget',
    keys: { team: { for: "the team's key", envVar: 'ANTHROPIC_API_KEY' } },
    config: (answers) => ({
      timeZone: answers.timeZone,
      store: { kind: 'postgres', connectionString: answers.connectionString ?? defaultConnectionString },
      strategies: { team: keyStrategy('team', 'team', answers) },
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
