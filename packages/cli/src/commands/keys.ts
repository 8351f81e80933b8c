import { Command } from 'commander';
import { formatUsd, toDecimalString, type Hub } from '@drawdown/core';
import { KEY_BUDGET_PERIODS, keyManager, keySpend, type KeyRecord, type KeySpent } from '@drawdown/gateway';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { renderTable } from '../render/table.js';
import { withHub } from '../session.js';

function checkRoutes(hub: Hub, routes: string[]): void {
  const entries = hub.router.entries;
  for (const id of routes) {
    const entry = entries.find((e) => e.id === id);
    if (!entry) {
      throw cliError(
        CliErrorCodes.UNKNOWN_NAME,
        `--route ${id}: no route entry is called "${id}" (the route has ${entries.map((e) => e.id).join(', ')})`,
        'Run "drawdown which" to see the route entries.',
        { argument: 'route' },
      );
    }
    if (entry.strategy.kind === 'delegated') {
      throw cliError(
        CliErrorCodes.INVALID_ARGUMENT,
        `--route ${id}: the entry uses the user's own sign-in (delegated), which a gateway cannot forward with`,
        'Pick an entry with an API key or OAuth strategy.',
        { argument: 'route' },
      );
    }
  }
}

const keyJson = (record: KeyRecord, spent?: KeySpent) => ({
  id: record.id,
  name: record.name,
  routes: record.routes,
  ...(record.budget !== undefined && {
    budgetUsd: toDecimalString(record.budget),
    period: record.period ?? 'lifetime',
  }),
  ...(spent && { spentUsd: toDecimalString(spent.spent), heldUsd: toDecimalString(spent.held) }),
  // What the budget counts against now: the current day or month (equal to spentUsd for lifetime).
  ...(spent &&
    record.budget !== undefined && {
      periodSpentUsd: toDecimalString(spent.periodSpent),
      ...(spent.resetsAt !== undefined && { resetsAt: new Date(spent.resetsAt).toISOString() }),
    }),
  createdAt: new Date(record.createdAt).toISOString(),
  ...(record.revokedAt !== undefined && { revokedAt: new Date(record.revokedAt).toISOString() }),
  state: record.revokedAt === undefined ? 'active' : 'revoked',
});

/** The budget column: "$5.00" for a lifetime cap, "$5.00/day" or "$5.00/month" for a calendar one. */
const budgetCell = (record: KeyRecord): string =>
  record.budget === undefined
    ? '—'
    : `${formatUsd(record.budget)}${record.period === undefined || record.period === 'lifetime' ? '' : `/${record.period}`}`;

export function keysCommand(ctx: CliContext): Command {
  const keys = new Command('keys').description('drawdown keys for tools that use the gateway (create, list, revoke)');

  keys
    .command('create')
    .description('create a key (printed once on stdout, stored only as a hash)')
    .argument('<name>', 'what the key is for, e.g. cursor-laptop')
    .requiredOption('--route <entry...>', 'route entries the key may draw from (see "drawdown which")')
    .option('--budget <usd>', "the key's own spending cap per --period, e.g. 5.00")
    .option(
      '--period <period>',
      `what --budget covers: ${KEY_BUDGET_PERIODS.join(', ')} (day and month reset at midnight in the hub's time zone; default lifetime)`,
    )
    .option('--json', 'print the key and its record as JSON')
    .action(
      async (
        name: string,
        options: { route: string[]; budget?: string; period?: string; json?: boolean },
        command: Command,
      ) => {
        await withHub(ctx, command, async (hub) => {
          checkRoutes(hub, options.route);
          const { key, record } = await keyManager(hub.store).create({
            name,
            routes: options.route,
            ...(options.budget !== undefined && { budget: options.budget }),
            ...(options.period !== undefined && { period: options.period }),
          });
          if (options.json) {
            ctx.term.out(JSON.stringify({ key, ...keyJson(record) }, null, 2));
            return;
          }
          ctx.term.out(key);
          ctx.term.note(
            `Created key "${record.name}" (id ${record.id}; routes ${record.routes.join(', ')}${record.budget !== undefined ? `; budget ${budgetCell(record)}` : ''}).\n` +
              'It is shown once and stored only as a hash. Give it to the tool with:\n' +
              '  ANTHROPIC_BASE_URL=http://127.0.0.1:7755 ANTHROPIC_API_KEY=<the key above>',
          );
        });
      },
    );

  keys
    .command('list')
    .description(
      "every key: routes, budget, spend in the budget's current period and whether it is revoked (never the key)",
    )
    .option('--json', 'print JSON with exact decimal strings')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withHub(ctx, command, async (hub) => {
        const records = await keyManager(hub.store).list();
        const spend = keySpend(hub, 0);
        const spent = await Promise.all(records.map((r) => spend.spent(r)));
        if (options.json) {
          ctx.term.out(JSON.stringify({ keys: records.map((r, i) => keyJson(r, spent[i])) }, null, 2));
          return;
        }
        if (records.length === 0) {
          ctx.term.out('No keys yet. Create one with: drawdown keys create <name> --route <entry>');
          return;
        }
        const rows = records.map((r, i) => [
          r.name,
          r.id,
          r.routes.join(','),
          budgetCell(r),
          // A day or month budget counts this day's or month's spend; the lifetime total is in --json.
          formatUsd(r.budget !== undefined ? spent[i]!.periodSpent : spent[i]!.spent),
          new Date(r.createdAt).toISOString().slice(0, 10),
          r.revokedAt === undefined ? 'active' : 'revoked',
        ]);
        ctx.term.out(
          renderTable(
            [
              { header: 'Name', shrink: 'truncate' },
              { header: 'Id' },
              { header: 'Routes', shrink: 'truncate' },
              { header: 'Budget', align: 'right' },
              { header: 'Spent', align: 'right' },
              { header: 'Created' },
              { header: 'State' },
            ],
            rows,
            undefined,
            { maxWidth: Math.min(80, ctx.term.width) },
          ),
        );
      });
    });

  keys
    .command('revoke')
    .description('revoke a key by name or id; gateways refuse it within a second')
    .argument('<key>', 'name or id of the key')
    .option('--json', 'print the revoked record as JSON')
    .action(async (nameOrId: string, options: { json?: boolean }, command: Command) => {
      await withHub(ctx, command, async (hub) => {
        const record = await keyManager(hub.store).revoke(nameOrId);
        ctx.term.out(
          options.json ? JSON.stringify(keyJson(record), null, 2) : `Revoked key "${record.name}" (id ${record.id}).`,
        );
      });
    });

  return keys;
}
