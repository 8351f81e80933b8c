import { apiKey, createHub, type Hub } from '@drawdown/core';
import { credits, manualProvider } from '@drawdown/plugin-credits';
import { postgresStore } from '@drawdown/store-postgres';

export const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * One team member's hub: the shared `team` credits wallet in PostgreSQL, paid with the team's key.
 * Every process that opens it sees the same balance; reservations are atomic across all of them.
 */
export async function openTeamHub(options: { connectionString: string; schema: string; key?: string }): Promise<Hub> {
  const store = await postgresStore({ connectionString: options.connectionString, schema: options.schema });
  return createHub({
    store,
    plugins: [
      apiKey({ id: 'team-key', key: options.key ?? 'sk-ant-team-example-key' }),
      credits({ id: 'team', provider: manualProvider(), alerts: { balanceBelow: ['3.00'] }, label: 'team credits' }),
    ],
    route: { entries: [{ id: 'team', strategy: 'team-key', pool: 'team' }] },
  });
}
