/**
 * Limit accounts: ledger accounts that mirror spend only to enforce a limit — a gateway key's
 * budget, a level of a budget hierarchy (org → team → user → key) — and are never spend
 * themselves. The money they count was already charged to a pool's account; adding them to a
 * report, a chart or a total would count it twice. Every view of spend (`hub.report`, so
 * `drawdown report`, the dashboard and MCP `usage_report`) reads pool accounts only.
 *
 * A limit account is named `limit:<level>:<id>` (`limitAccount('team', 'eng')` →
 * `limit:team:eng`). Gateway keys keep the name they have always had, `gateway-key:<id>`, so
 * existing ledgers are read right.
 */

/** Prefixes of limit-account names: the general one, and the gateway keys' own. */
export const LIMIT_ACCOUNT_PREFIXES = ['limit:', 'gateway-key:'] as const;

/** The account of a limit at one level (`key`, `user`, `team`, `org`...). */
export function limitAccount(level: string, id: string): string {
  return `limit:${level}:${id}`;
}

/** Whether an account mirrors spend for a limit (never counted as spend). */
export function isLimitAccount(account: string): boolean {
  return LIMIT_ACCOUNT_PREFIXES.some((prefix) => account.startsWith(prefix));
}
