import { Command } from 'commander';
import { formatUsd, type Hub, type UsdDisplay } from '@drawdown/core';
import { KEY_BUDGET_PERIODS, keyManager, keySpend, keyView, type KeyRecord } from '@drawdown/gateway';
import type { CliContext } from '../context.js';
import { displayOf, EXACT_FLAG } from '../render/money.js';
import { renderTable } from '../render/table.js';
import { withHub } from '../session.js';

/** The budget column: "$5.00" for a lifetime cap, "$5.00/day" or "$5.00/month" for a calendar one. */
const budgetCell = (record: KeyRecord, display: UsdDisplay): string =>
  record.budget === undefined
    ? '—'
    : `${formatUsd(record.budget, display)}${record.period === undefined || record.period === 'lifetime' ? '' : `/${record.period}`}`;

interface CreateOptions {
  route: string[];
  budget?: string;
  period?: string;
  model?: string[];
  rpm?: string;
  tpm?: string;
  expires?: string;
  idempotencyKey?: string;
  softLimit?: string;
  user?: string;
  team?: string;
  org?: string;
  json?: boolean;
}

/** A whole number as a number; anything else as given, for the key manager to refuse by name. */
const whole = (value: string): number | string => (/^\d+$/.test(value) ? Number(value) : value);

/** The same key manager the gateway's admin API uses, checking routes against this hub's route. */
const keys = (hub: Hub) => keyManager(hub.store, { entries: hub.router.entries, now: () => hub.clock.now() });

export function keysCommand(ctx: CliContext): Command {
  const command = new Command('keys').description(
    'drawdown keys for tools that use the gateway (create, list, revoke, rotate)',
  );

  command
    .command('create')
    .description('create a key (printed once on stdout, stored only as a hash)')
    .argument('<name>', 'what the key is for, e.g. cursor-laptop')
    .requiredOption('--route <entry...>', 'route entries the key may draw from (see "drawdown which")')
    .option('--budget <usd>', "the key's own spending cap per --period, e.g. 5.00")
    .option(
      '--period <period>',
      `what --budget covers: ${KEY_BUDGET_PERIODS.join(', ')} (day, week and month reset at midnight in the hub's time zone; default lifetime)`,
    )
    .option('--model <id...>', 'models the key may ask for (a trailing * allows a prefix); default any')
    .option('--rpm <n>', 'requests per minute the key may send, across every gateway')
    .option('--tpm <n>', 'tokens per minute the key may use (input and output)')
    .option('--expires <instant>', 'when the key stops working, e.g. 2026-12-31T23:59:59Z')
    .option('--idempotency-key <id>', 'a retry with the same id answers the same key')
    .option('--soft-limit <usd>', 'spend per --period that raises an alert once (below --budget)')
    .option('--user <id>', 'the user the key belongs to (budgets.users, else budgets.defaultUser)')
    .option('--team <id>', 'the team the key belongs to (declared in budgets.teams)')
    .option('--org <id>', 'the organisation the key belongs to (declared in budgets.organisations)')
    .option('--json', 'print the key and its record as JSON')
    .action(async (name: string, options: CreateOptions, command: Command) => {
      await withHub(ctx, command, async (hub) => {
        const { key, record } = await keys(hub).create({
          name,
          routes: options.route,
          ...(options.budget !== undefined && { budget: options.budget }),
          ...(options.period !== undefined && { period: options.period }),
          ...(options.model !== undefined && { models: options.model }),
          ...(options.rpm !== undefined && { requestsPerMinute: whole(options.rpm) }),
          ...(options.tpm !== undefined && { tokensPerMinute: whole(options.tpm) }),
          ...(options.expires !== undefined && { expiresAt: options.expires }),
          ...(options.idempotencyKey !== undefined && { idempotencyKey: options.idempotencyKey }),
          ...(options.softLimit !== undefined && { softLimit: options.softLimit }),
          ...(options.user !== undefined && { user: options.user }),
          ...(options.team !== undefined && { team: options.team }),
          ...(options.org !== undefined && { organisation: options.org }),
        });
        if (options.json) {
          ctx.term.out(JSON.stringify({ key, ...keyView(record) }, null, 2));
          return;
        }
        ctx.term.out(key);
        ctx.term.note(
          `Created key "${record.name}" (id ${record.id}; routes ${record.routes.join(', ')}${record.budget !== undefined ? `; budget ${budgetCell(record, 'exact')}` : ''}).\n` +
            'It is shown once and stored only as a hash. Give it to the tool with:\n' +
            '  ANTHROPIC_BASE_URL=http://127.0.0.1:7755 ANTHROPIC_API_KEY=<the key above>',
        );
      });
    });

  command
    .command('list')
    .description(
      "every key: routes, budget, spend in the budget's current period and whether it is revoked (never the key)",
    )
    .option(...EXACT_FLAG)
    .option('--json', 'print JSON with exact decimal strings')
    .action(async (options: { exact?: boolean; json?: boolean }, command: Command) => {
      const display = displayOf(options);
      await withHub(ctx, command, async (hub) => {
        const records = await keys(hub).list();
        const spend = keySpend(hub);
        const spent = await Promise.all(records.map((r) => spend.spent(r)));
        if (options.json) {
          ctx.term.out(JSON.stringify({ keys: records.map((r, i) => keyView(r, spent[i])) }, null, 2));
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
          budgetCell(r, display),
          // A day or month budget counts this day's or month's spend; the lifetime total is in --json.
          formatUsd(r.budget !== undefined ? spent[i]!.periodSpent : spent[i]!.spent, display),
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

  command
    .command('revoke')
    .description('revoke a key by name or id; gateways refuse it within a second')
    .argument('<key>', 'name or id of the key')
    .option('--json', 'print the revoked record as JSON')
    .action(async (nameOrId: string, options: { json?: boolean }, command: Command) => {
      await withHub(ctx, command, async (hub) => {
        const record = await keys(hub).revoke(nameOrId);
        ctx.term.out(
          options.json ? JSON.stringify(keyView(record), null, 2) : `Revoked key "${record.name}" (id ${record.id}).`,
        );
      });
    });

  command
    .command('rotate')
    .description("replace a key's secret (printed once); the old key stops working")
    .argument('<key>', 'name or id of the key')
    .option('--json', 'print the new key and its record as JSON')
    .action(async (nameOrId: string, options: { json?: boolean }, command: Command) => {
      await withHub(ctx, command, async (hub) => {
        const { key, record } = await keys(hub).rotate(nameOrId);
        if (options.json) {
          ctx.term.out(JSON.stringify({ key, ...keyView(record) }, null, 2));
          return;
        }
        ctx.term.out(key);
        ctx.term.note(`Rotated key "${record.name}" (id ${record.id}); the old key is refused from now on.`);
      });
    });

  return command;
}
