import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DrawdownError, isDrawdownError } from '@drawdown/core';
import type { GatewayContext } from './context.js';
import type { AdminOptions } from './options.js';
import { GatewayErrorCodes, type GatewayErrorCode } from './errors.js';
import { messageOf, readBody } from './http.js';
import { keyView } from './key-view.js';
import { keyManager, type CreateKeyRequest } from './keys.js';

/** Where the admin API lives; nothing under it is forwarded upstream. */
export const ADMIN_PREFIX = '/admin/';

const STATUS: Partial<Record<GatewayErrorCode, number>> = {
  [GatewayErrorCodes.INVALID_KEY_REQUEST]: 400,
  [GatewayErrorCodes.ADMIN_INVALID_BODY]: 400,
  [GatewayErrorCodes.ADMIN_UNAUTHORIZED]: 401,
  [GatewayErrorCodes.UNKNOWN_KEY]: 404,
  [GatewayErrorCodes.ADMIN_NOT_FOUND]: 404,
  [GatewayErrorCodes.IDEMPOTENCY_CONFLICT]: 409,
  [GatewayErrorCodes.KEYS_BUSY]: 503,
};

const HINTS: Partial<Record<GatewayErrorCode, string>> = {
  [GatewayErrorCodes.INVALID_KEY_REQUEST]: 'Fix the field named in the message and send the request again.',
  [GatewayErrorCodes.ADMIN_INVALID_BODY]: 'Send a JSON object with content-type application/json.',
  [GatewayErrorCodes.ADMIN_UNAUTHORIZED]:
    'Send the admin token the gateway was started with as "Authorization: Bearer <token>".',
  [GatewayErrorCodes.ADMIN_NOT_FOUND]:
    'The admin API serves GET and POST /admin/keys, GET /admin/keys/<id>, POST /admin/keys/<id>/revoke and POST /admin/keys/<id>/rotate.',
  [GatewayErrorCodes.KEYS_BUSY]: 'Send the same request again (with the same Idempotency-Key); retrying is safe.',
};

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** drawdown's error shape, `{code, message, hint}`, as the CLI prints it under `--json`. */
function sendAdminError(res: ServerResponse, error: unknown): void {
  if (!isDrawdownError(error)) {
    sendJson(res, 500, {
      code: GatewayErrorCodes.UNEXPECTED,
      message: `the admin request failed: ${messageOf(error)}`,
      hint: 'The gateway log has details.',
    });
    return;
  }
  const code = error.code as GatewayErrorCode;
  const data = error.data as { hint?: unknown; field?: unknown };
  const hint = typeof data.hint === 'string' ? data.hint : (HINTS[code] ?? null);
  sendJson(
    res,
    STATUS[code] ?? 500,
    {
      code: error.code,
      message: error.message,
      hint,
      ...(typeof data.field === 'string' && { field: data.field }),
    },
    code === GatewayErrorCodes.KEYS_BUSY ? { 'retry-after': '1' } : {},
  );
}

const adminError = (code: GatewayErrorCode, message: string): DrawdownError => new DrawdownError(code, message);

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * The gateway's admin API: an app's server mints a drawdown key per install or user (with a
 * budget, models, rate limits and expiry), lists, reads the spend of, revokes and rotates keys.
 * The same `keyManager` as `drawdown keys` does the work, so both agree on every rule. A mint with
 * an `Idempotency-Key` header (or `idempotencyKey` in the body) answers the same key however often
 * it is retried. Every error is `{code, message, hint}` with an HTTP status that fits it.
 */
export function adminApi(ctx: GatewayContext, options: AdminOptions) {
  const expected = digest(options.token);
  const keys = keyManager(ctx.hub.store, { entries: ctx.hub.router.entries, now: () => ctx.hub.clock.now() });

  const authorized = (req: IncomingMessage): boolean => {
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !/^bearer\s/i.test(auth)) return false;
    return timingSafeEqual(digest(auth.slice(7).trim()), expected);
  };

  async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    const body = await readBody(req, 64 * 1024);
    if (body === 'too-large') throw adminError(GatewayErrorCodes.ADMIN_INVALID_BODY, 'the request body is over 64 KiB');
    let parsed: unknown;
    try {
      parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw adminError(GatewayErrorCodes.ADMIN_INVALID_BODY, 'the request body is not JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw adminError(GatewayErrorCodes.ADMIN_INVALID_BODY, 'the request body must be a JSON object');
    return parsed as Record<string, unknown>;
  }

  const withSpend = async (record: Awaited<ReturnType<typeof keys.get>>) =>
    keyView(record, await ctx.spend.spent(record), ctx.hub.clock.now());

  async function serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (!authorized(req)) {
      req.resume();
      throw adminError(GatewayErrorCodes.ADMIN_UNAUTHORIZED, 'the admin API needs its token');
    }
    const parts = path.slice(ADMIN_PREFIX.length).split('/').map(decodeURIComponent);
    if (parts[0] === 'keys' && parts.length === 1) {
      if (method === 'GET') {
        const records = await keys.list();
        const spent = await Promise.all(records.map((r) => ctx.spend.spent(r)));
        const now = ctx.hub.clock.now();
        return sendJson(res, 200, { keys: records.map((r, i) => keyView(r, spent[i], now)) });
      }
      if (method === 'POST') {
        const body = await jsonBody(req);
        const header = req.headers['idempotency-key'];
        const request = {
          ...body,
          ...(typeof header === 'string' && { idempotencyKey: header }),
        } as unknown as CreateKeyRequest;
        const created = await keys.create(request);
        return sendJson(res, created.replayed ? 200 : 201, {
          key: created.key,
          replayed: created.replayed,
          ...keyView(created.record, undefined, ctx.hub.clock.now()),
        });
      }
    }
    if (parts[0] === 'keys' && parts.length === 2 && parts[1] !== '' && method === 'GET') {
      return sendJson(res, 200, await withSpend(await keys.get(parts[1]!)));
    }
    if (parts[0] === 'keys' && parts.length === 3 && method === 'POST') {
      if (parts[2] === 'revoke') {
        req.resume();
        return sendJson(res, 200, keyView(await keys.revoke(parts[1]!), undefined, ctx.hub.clock.now()));
      }
      if (parts[2] === 'rotate') {
        req.resume();
        const rotated = await keys.rotate(parts[1]!);
        return sendJson(res, 200, { key: rotated.key, ...keyView(rotated.record, undefined, ctx.hub.clock.now()) });
      }
    }
    req.resume();
    throw adminError(GatewayErrorCodes.ADMIN_NOT_FOUND, `${method} ${path} is not an admin endpoint`);
  }

  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    try {
      await serve(req, res, path);
    } catch (error) {
      if (!isDrawdownError(error)) ctx.hub.logger.warn(`gateway: admin request failed: ${messageOf(error)}`);
      sendAdminError(res, error);
    }
  };
}
