import type { ServerResponse } from 'node:http';

/** Error types of the Anthropic API, with the status each one is sent with. */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

const STATUS: Record<AnthropicErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 502,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * Answers in the API's error shape, `{"type":"error","error":{"type","message"}}`, so every SDK and
 * tool shows `message`. `x-should-retry: false` keeps the SDKs from retrying what waiting cannot fix.
 */
export function sendError(
  res: ServerResponse,
  type: AnthropicErrorType,
  message: string,
  options: {
    status?: number;
    retry?: boolean;
    headers?: Record<string, string>;
    /** drawdown's own code and fix, beside the API's error type, for clients that read them. */
    detail?: { code: string; hint: string };
  } = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ type: 'error', error: { type, message, ...options.detail } });
  res.writeHead(options.status ?? STATUS[type], {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(options.retry !== true && { 'x-should-retry': 'false' }),
    ...options.headers,
  });
  res.end(body);
}
