/**
 * `@drawdown/core/store`: for authors of ledger stores. A store implements `LedgerStore` and passes
 * `@drawdown/testkit`'s `describeStoreContract`; these are the rules every store shares, so a new
 * store orders grants and builds reports exactly as the built-in ones do.
 */
export { compareGrants, firstRefusedCounter, limitHoldKey, SPEND_HOUR_MS, windowStart } from './contracts/store.js';
export { sortReportRows, sqlReport } from './stores/report-rows.js';
export { drawFromGrants, grantFundsAvailable, liveGrants, newGrant } from './stores/grant-drawing.js';
export type {
  LedgerStore,
  WindowCountInput,
  WindowCountResult,
  Limit,
  LimitAccount,
  CapLimit,
  BalanceLimit,
  EntryMeta,
  ReserveInput,
  ReserveResult,
  HoldRecord,
  SettleInput,
  SettleResult,
  ChargeRecord,
  ReleaseInput,
  ReleaseResult,
  SnapshotInput,
  AccountSnapshot,
  GrantKind,
  GrantInput,
  GrantResult,
  GrantRecord,
  ReportDimension,
  ReportQuery,
  ReportRow,
  EntriesQuery,
  LedgerEntry,
  LedgerChange,
  SpendByHourQuery,
  SpendHour,
} from './contracts/store.js';
