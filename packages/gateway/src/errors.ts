/** Error codes of the gateway (`DRAWDOWN_GATEWAY_*`). */
export const GatewayErrorCodes = {
  /** A gateway option is missing or unsafe (e.g. a non-loopback bind without `allowRemote` and `token`). */
  INVALID_OPTION: 'DRAWDOWN_GATEWAY_INVALID_OPTION',
  /** A key name, route list or budget given to `keys.create` is malformed; `data.field` names it. */
  INVALID_KEY_REQUEST: 'DRAWDOWN_GATEWAY_INVALID_KEY_REQUEST',
  /** No key with this name or id exists (or it is already revoked); `data.key` names what was asked for. */
  UNKNOWN_KEY: 'DRAWDOWN_GATEWAY_UNKNOWN_KEY',
  /** A key's own budget cannot admit the request; `data` carries the limit, what is left and what was asked. */
  KEY_BUDGET_EXHAUSTED: 'DRAWDOWN_GATEWAY_KEY_BUDGET_EXHAUSTED',
  /** Another process held the lock on the key list for longer than a create or revoke waits; retrying is safe. */
  KEYS_BUSY: 'DRAWDOWN_GATEWAY_KEYS_BUSY',
} as const;

export type GatewayErrorCode = (typeof GatewayErrorCodes)[keyof typeof GatewayErrorCodes];
