import type { ServerResponse } from 'node:http';
import { ErrorCodes, isDrawdownError } from '@drawdown/core';
import { sendError } from './anthropic-errors.js';
import type { GatewayContext } from './context.js';
import { GatewayErrorCodes } from './errors.js';
import { messageOf } from './http.js';
import type { KeyRecord } from './keys.js';

/** The answer when drawdown itself refuses: readable by a person, shown verbatim by Claude Code (402 is neither retried nor reworded). */
export function refuse(ctx: GatewayContext, res: ServerResponse, error: unknown): void {
  if (isDrawdownError(error, ErrorCodes.ROUTE_EXHAUSTED)) {
    ctx.metrics.refused('route_exhausted');
    sendError(res, 'billing_error', `drawdown: ${error.message}. Run "drawdown status" to see the pools.`);
  } else if (
    isDrawdownError(error, GatewayErrorCodes.KEY_BUDGET_EXHAUSTED) ||
    isDrawdownError(error, GatewayErrorCodes.LEVEL_BUDGET_EXHAUSTED)
  ) {
    ctx.metrics.refused(error.code === GatewayErrorCodes.KEY_BUDGET_EXHAUSTED ? 'key_budget' : 'level_budget');
    // The message already says what can help; "drawdown status" (the pools) would not.
    sendError(res, 'billing_error', `drawdown: ${error.message}`);
  } else if (isDrawdownError(error, GatewayErrorCodes.KEY_NOT_IN_HIERARCHY)) {
    sendError(res, 'permission_error', `drawdown gateway: ${error.message}`);
  } else if (isDrawdownError(error, ErrorCodes.UNKNOWN_MODEL)) {
    ctx.metrics.refused('unknown_model');
    sendError(res, 'invalid_request_error', `drawdown: ${error.message}`);
  } else if (isDrawdownError(error, ErrorCodes.AUTH_UNAVAILABLE)) {
    sendError(res, 'api_error', `drawdown gateway: ${error.message}`, { status: 500 });
  } else if (isDrawdownError(error)) {
    sendError(res, 'api_error', `drawdown gateway: ${error.message} (${error.code})`, { status: 500 });
  } else {
    ctx.hub.logger.warn(`gateway: unexpected failure: ${messageOf(error)}`);
    sendError(res, 'api_error', 'drawdown gateway: unexpected failure; the gateway log has details', { status: 500 });
  }
}

/** The answer to a key whose route list leaves no entry the gateway can forward to. */
export const noUsableEntry = (res: ServerResponse, record: KeyRecord): void =>
  sendError(
    res,
    'permission_error',
    `drawdown: key "${record.name}" may use no entry of the route (it lists ${record.routes.join(', ')}; delegated entries cannot be forwarded); create a key with --route <entry> from "drawdown which"`,
  );

/** The answer to a model the key may not ask for: 403, naming the model and what the key allows. */
export function modelNotAllowed(ctx: GatewayContext, res: ServerResponse, record: KeyRecord, model: string): void {
  ctx.metrics.refused('model_not_allowed');
  sendError(
    res,
    'permission_error',
    `drawdown: key "${record.name}" may not use model "${model}"; it may use ${(record.models ?? []).join(', ')}`,
  );
}

/** The answer to a body over the limit. */
export const bodyTooLarge = (ctx: GatewayContext, res: ServerResponse): void =>
  sendError(res, 'request_too_large', `drawdown gateway: the request body is over ${ctx.settings.maxBodyBytes} bytes`);
