import { invalidOption } from './errors.js';

/**
 * Limit accounts: ledger accounts that mirror spend only to enforce a limit — a gateway key's
 * budget, a level of a budget hierarchy (org → team → user → key) — and are never spend
 * themselves. The money they count was already charged to a pool's account; adding them to a
 * report, a chart or a total would count it twice.
 *
 * One mechanism decides what is a limit account: its name. `limitAccount(level, id)` is the only
 * way accounts are named for a limit, the hub refuses to hold an account as a limit
 * (`BeginRequest.limitAccounts`) unless its name says so, and every view of spend (`hub.report`,
 * so `drawdown report`, the dashboard and MCP `usage_report`) leaves such names out. So an account
 * held as a limit is never reported as spend, whatever rows it has; and no pool's account can read
 * as one, since pool ids never contain a colon.
 *
 * A limit account is named `limit:<level>:<id>` (`limitAccount('team', 'eng')` →
 * `limit:team:eng`). A gateway key's is `gateway-key:<id>`, the name it has always had: ledgers
 * written before budget levels keep each key's spend, and their `gateway-key:` charge rows are
 * still left out of reports.
 */

/** Prefixes of limit-account names: the general one, and the gateway keys' own. */
export const LIMIT_ACCOUNT_PREFIXES = ['limit:', 'gateway-key:'] as const;

/** The account of a limit at one level (`key`, `user`, `team`, `org`...). */
export function limitAccount(level: string, id: string): string {
  return level === 'key' ? `gateway-key:${id}` : `limit:${level}:${id}`;
}

/** Whether an account mirrors spend for a limit (never counted as spend). */
export function isLimitAccount(account: string): boolean {
  return LIMIT_ACCOUNT_PREFIXES.some((prefix) => account.startsWith(prefix));
}

/**
 * Refuses an account held as a limit whose name does not say so: reports would count its mirror
 * of spend as spend. `field` names where it came from (`limitAccounts[2].account`).
 */
export function assertLimitAccountName(account: string, field: string): void {
  if (!isLimitAccount(account))
    throw invalidOption(
      'hub.begin()',
      field,
      `is "${account}", which is not a limit account's name (${LIMIT_ACCOUNT_PREFIXES.join(' or ')}…)`,
      "Name it with limitAccount(level, id) from '@drawdown/core/internal'.",
    );
}
