/** Error codes raised by `@drawdown/dashboard`; each is a `DrawdownError` whose message says what to do. */
export const DashboardErrorCodes = {
  /** `startDashboard` was asked to bind a non-loopback address without a token. */
  TOKEN_REQUIRED: 'DRAWDOWN_DASHBOARD_TOKEN_REQUIRED',
} as const;

export type DashboardErrorCode = (typeof DashboardErrorCodes)[keyof typeof DashboardErrorCodes];
