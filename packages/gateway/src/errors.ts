/** Error codes of the gateway (`DRAWDOWN_GATEWAY_*`). */
export const GatewayErrorCodes = {
  /** A key name, route list, budget, model list, limit or expiry given to `keys.create` is malformed; `data.field` names it. */
  INVALID_KEY_REQUEST: 'DRAWDOWN_GATEWAY_INVALID_KEY_REQUEST',
  /** No key with this name or id exists (or it is already revoked); `data.key` names what was asked for. */
  UNKNOWN_KEY: 'DRAWDOWN_GATEWAY_UNKNOWN_KEY',
  /** A key's own budget cannot admit the request; `data` carries the limit, what is left and what was asked. */
  KEY_BUDGET_EXHAUSTED: 'DRAWDOWN_GATEWAY_KEY_BUDGET_EXHAUSTED',
  /** A budget level of the key (its user, team or organisation) cannot admit the request; `data.level` and `data.id` name it. */
  LEVEL_BUDGET_EXHAUSTED: 'DRAWDOWN_GATEWAY_LEVEL_BUDGET_EXHAUSTED',
  /** A key names a team or organisation the gateway's budgets do not declare (or contradict); its requests are refused. */
  KEY_NOT_IN_HIERARCHY: 'DRAWDOWN_GATEWAY_KEY_NOT_IN_HIERARCHY',
  /** Another process held the lock on the key list for longer than a create or revoke waits; retrying is safe. */
  KEYS_BUSY: 'DRAWDOWN_GATEWAY_KEYS_BUSY',
  /** An idempotency key that already minted a key was sent with a different request. */
  IDEMPOTENCY_CONFLICT: 'DRAWDOWN_GATEWAY_IDEMPOTENCY_CONFLICT',
  /** The admin API was called without its token, or with a wrong one. */
  ADMIN_UNAUTHORIZED: 'DRAWDOWN_GATEWAY_ADMIN_UNAUTHORIZED',
  /** The admin API has no such endpoint, or not with this method. */
  ADMIN_NOT_FOUND: 'DRAWDOWN_GATEWAY_ADMIN_NOT_FOUND',
  /** An admin request's body is not the JSON object the endpoint reads. */
  ADMIN_INVALID_BODY: 'DRAWDOWN_GATEWAY_ADMIN_INVALID_BODY',
  /** The upstream refused a request (its status is in `data.status`); recorded when a hold is released for it. */
  UPSTREAM_REFUSED: 'DRAWDOWN_GATEWAY_UPSTREAM_REFUSED',
  /** The upstream's answer carried no usage, so nothing could be charged; the hold was released. */
  NO_USAGE: 'DRAWDOWN_GATEWAY_NO_USAGE',
  /** An admin request failed for a reason the gateway did not foresee; its log has the details. */
  UNEXPECTED: 'DRAWDOWN_GATEWAY_UNEXPECTED',
  /** A stream ended before its message started; nothing was charged. */
  STREAM_ENDED_EARLY: 'DRAWDOWN_GATEWAY_STREAM_ENDED_EARLY',
} as const;

export type GatewayErrorCode = (typeof GatewayErrorCodes)[keyof typeof GatewayErrorCodes];
