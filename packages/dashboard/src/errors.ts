/** Error codes raised by `@drawdown/dashboard`; each is a `DrawdownError` whose message says what to do. */
export const DashboardErrorCodes = {
  /** `startDashboard` was asked to bind a non-loopback address without a token. */
  TOKEN_REQUIRED: 'DRAWDOWN_DASHBOARD_TOKEN_REQUIRED',
  /** A write was asked of a read-only dashboard (started without `writes`); HTTP 403. */
  READ_ONLY: 'DRAWDOWN_DASHBOARD_READ_ONLY',
  /** A write body that is not the expected JSON; HTTP 400. */
  BAD_REQUEST: 'DRAWDOWN_DASHBOARD_BAD_REQUEST',
  /** Nothing is served at that path; HTTP 404. */
  NOT_FOUND: 'DRAWDOWN_DASHBOARD_NOT_FOUND',
  /** A method other than GET (or POST for writes); HTTP 405. */
  METHOD_NOT_ALLOWED: 'DRAWDOWN_DASHBOARD_METHOD_NOT_ALLOWED',
  /** The dashboard failed while answering (the reason is logged); HTTP 500. */
  FAILED: 'DRAWDOWN_DASHBOARD_FAILED',
} as const;

export type DashboardErrorCode = (typeof DashboardErrorCodes)[keyof typeof DashboardErrorCodes];
