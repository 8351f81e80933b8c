import { randomUUID } from 'node:crypto';
import {
  DrawdownError,
  ErrorCodes,
  isDrawdownError,
  type RequestLease,
  type RequestLimitAccount,
} from '@drawdown/core';
import { attemptAlongRoute, headerRecord, type AttemptOutcome } from '@drawdown/core/internal';
import { estimateFromParams } from '@drawdown/core/anthropic';
import type { Dispatcher } from 'undici';
import { sendError } from './anthropic-errors.js';
import { GatewayErrorCodes } from './errors.js';
import { BrokenAnswer, credentialsFor } from './attempt.js';
import type { GatewayCall, GatewayContext } from './context.js';
import { messageOf, parseErrorBody, readBody, responseHeaders, upstreamHeaders } from './http.js';
import { readJsonUsage } from './json-usage.js';
import { modelAllowed } from './keys.js';
import { bodyTooLarge, modelNotAllowed, noUsableEntry, refuse } from './refusal.js';
import { sendRateRefusal, usageTokens, type RateAdmission } from './rate-limits.js';
import { pipeStream } from './sse-pipe.js';

/**
 * `POST /v1/messages`: routed like `hub.begin` among the entries the caller's key may use (and held
 * against the key's budget levels in the same store step), forwarded with that entry's credentials, answered unchanged, and
 * settled from the usage in the answer; the hold is released when the client leaves early or the
 * upstream fails.
 */
export async function messages(ctx: GatewayContext, call: GatewayCall): Promise<void> {
  const { hub, levels, upstream } = ctx;
  const { req, res, record, target } = call;
  const body = await readBody(req, ctx.settings.maxBodyBytes);
  if (body === 'too-large') return bodyTooLarge(ctx, res);
  let params: { model?: unknown; max_tokens?: unknown; stream?: unknown; messages?: unknown };
  try {
    params = JSON.parse(body.toString('utf8')) as typeof params;
    if (typeof params !== 'object' || params === null) throw new TypeError('not an object');
  } catch {
    return sendError(res, 'invalid_request_error', 'drawdown gateway: the request body is not a JSON object');
  }
  if (typeof params.model !== 'string')
    return sendError(res, 'invalid_request_error', 'model: Field required (drawdown needs it to price the request)');
  if (typeof params.max_tokens !== 'number')
    return sendError(res, 'invalid_request_error', 'max_tokens: Field required (drawdown sizes the hold from it)');
  const model = params.model;
  if (!modelAllowed(record, model)) return modelNotAllowed(ctx, res, record, model);
  const streaming = params.stream === true;
  const exclude = ctx.excludedFor(record);
  if (exclude.size >= hub.router.entries.length) return noUsableEntry(res, record);
  const requestId = randomUUID();
  // Every hold and charge of this request names the key it came through, so spend shows per tool.
  const client = { client: record.name };
  const abort = new AbortController();
  let clientGone = false;
  res.on('close', () => {
    if (!res.writableFinished) {
      clientGone = true;
      abort.abort();
    }
  });

  let holdEstimate: ReturnType<typeof estimateFromParams>;
  try {
    holdEstimate = estimateFromParams(params as Parameters<typeof estimateFromParams>[0], hub.rateCard);
  } catch (error) {
    return refuse(ctx, res, error);
  }
  const { holdMaxTokens } = ctx.settings;
  if (holdMaxTokens !== undefined && holdEstimate.maxTokens > holdMaxTokens)
    holdEstimate = { ...holdEstimate, maxTokens: holdMaxTokens };
  let limitAccounts: RequestLimitAccount[];
  try {
    limitAccounts = levels.limitAccounts(record, hub.clock.now());
  } catch (error) {
    return refuse(ctx, res, error);
  }
  // Per-key requests and tokens per minute, before any hold: a refused request holds nothing.
  const decision = await ctx.rates.admit(record, (holdEstimate.inputTokens ?? 0) + holdEstimate.maxTokens);
  if (!decision.ok) {
    ctx.metrics.refused(
      decision.tooLarge
        ? 'invalid_request'
        : decision.limit === 'requests'
          ? 'rate_limit_requests'
          : 'rate_limit_tokens',
    );
    return sendRateRefusal(res, decision);
  }
  const admission: RateAdmission | undefined = decision.admission;
  const { holdTtlMs } = ctx.settings;
  // The key's levels ride on the pool's hold: one store step checks and holds them all, and the
  // lease's settle and release carry them too (a failover holds them again with the next pool).
  const begin = (also: string[]): Promise<RequestLease> =>
    hub.begin({
      requestId,
      model,
      estimate: holdEstimate,
      exclude: also.length > 0 ? [...exclude, ...also] : [...exclude],
      meta: client,
      limitAccounts,
      ...(holdTtlMs !== undefined && { ttlMs: holdTtlMs }),
    });

  // A request that generated nothing gives its tokens back to the key's per-minute count.
  const giveBack = (): Promise<void> => ctx.rates.settle(record, admission, 0);
  let admitted = false;
  const admit = async (also: string[]): Promise<RequestLease> => {
    const lease = await begin(also);
    admitted = true;
    return lease;
  };

  // Routing, rate-limit observation, 401 → onUnauthorized and failover: core's one attempt policy.
  let outcome: AttemptOutcome<Dispatcher.ResponseData, { response: Dispatcher.ResponseData; errorBody: Buffer }>;
  try {
    outcome = await attemptAlongRoute<
      Dispatcher.ResponseData,
      { response: Dispatcher.ResponseData; errorBody: Buffer }
    >({
      hub,
      begin: admit,
      failover: true,
      signal: abort.signal,
      async attempt(lease) {
        const credentials = await credentialsFor(lease.entry, lease);
        const response = await upstream.request(target, {
          method: 'POST',
          headers: upstreamHeaders(req, credentials, body.length),
          body,
          signal: abort.signal,
        });
        ctx.metrics.upstreamStatus(response.statusCode);
        const headers = headerRecord(response.headers);
        if (response.statusCode < 400) return { ok: true, value: response, headers };
        let errorBody: Buffer;
        try {
          errorBody = Buffer.from(await response.body.arrayBuffer());
        } catch (error) {
          throw new BrokenAnswer(response.statusCode, error);
        }
        const { type, message } = parseErrorBody(errorBody);
        return {
          ok: false,
          status: response.statusCode,
          headers,
          ...(type !== undefined && { errorType: type }),
          ...(message !== undefined && { message }),
          error: new DrawdownError(
            GatewayErrorCodes.UPSTREAM_REFUSED,
            `upstream answered ${response.statusCode}${type ? ` ${type}` : ''}`,
            { data: { status: response.statusCode } },
          ),
          value: { response, errorBody },
        };
      },
    });
  } catch (error) {
    // Not admitted (no entry can pay, the key's budget is spent), or the attempt failed and the
    // policy already failed its lease: either way nothing is held or charged.
    await giveBack();
    if (isDrawdownError(error, ErrorCodes.LIMIT_EXHAUSTED)) {
      const now = hub.clock.now();
      // What this request would hold with max_tokens 1: below it, a lower max_tokens cannot help.
      const floor = hub.rateCard.estimate({ ...holdEstimate, model, maxTokens: 1, at: now }).maxCost;
      return refuse(ctx, res, await levels.refusal(record, error.data, floor, now));
    }
    if (!admitted) return refuse(ctx, res, error);
    if (clientGone) return;
    if (error instanceof BrokenAnswer)
      return sendError(
        res,
        'api_error',
        `drawdown gateway: the upstream's ${error.status} answer broke off; nothing was charged`,
        { status: 502, retry: true },
      );
    if (isDrawdownError(error)) return refuse(ctx, res, error);
    const code = (error as { code?: string }).code;
    const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
    return sendError(
      res,
      timeout ? 'timeout_error' : 'api_error',
      `drawdown gateway: the upstream ${upstream.origin} ${timeout ? 'timed out' : `failed: ${code ?? messageOf(error)}`}; nothing was charged`,
      { status: timeout ? 504 : 502, retry: true },
    );
  }

  if (outcome.kind === 'refused') {
    // The policy failed the lease (its levels' holds with it); the per-minute tokens go back too.
    await giveBack();
    if (clientGone) return;
    const { response, errorBody } = outcome.reply.value;
    res.writeHead(
      response.statusCode,
      responseHeaders(response.headers, {
        'content-length': String(errorBody.length),
        ...(outcome.refusal !== undefined && { 'x-should-retry': 'false' }),
      }),
    );
    res.end(errorBody);
    return;
  }

  const { lease, value: response } = outcome;
  const fail = async (error: unknown): Promise<void> => {
    await lease.fail(error);
    await giveBack();
  };
  const settle = async (usage: unknown, reportedModel: string | undefined): Promise<void> => {
    try {
      await lease.settle({
        usage,
        meta: client,
        ...(reportedModel !== undefined && { model: reportedModel }),
      });
    } catch (error) {
      // A usage the card cannot price frees the hold now (not at its TTL), and says so in the log.
      await fail(error);
      throw error;
    }
    await ctx.rates.settle(record, admission, usageTokens(usage));
  };

  // An upstream that answers a stream request with JSON (or the reverse) is read by what it sent.
  const contentType = response.headers['content-type'];
  const isSse =
    (Array.isArray(contentType) ? contentType[0] : contentType)?.startsWith('text/event-stream') ?? streaming;
  if (!isSse) {
    let answer: Buffer;
    try {
      answer = Buffer.from(await response.body.arrayBuffer());
    } catch (error) {
      await fail(error);
      if (!clientGone)
        sendError(res, 'api_error', `drawdown gateway: the upstream answer broke off; nothing was charged`, {
          status: 502,
          retry: true,
        });
      return;
    }
    const read = readJsonUsage(answer);
    const usage = read?.usage;
    const reportedModel = read?.model;
    if (!clientGone) {
      res.writeHead(
        response.statusCode,
        responseHeaders(response.headers, { 'content-length': String(answer.length) }),
      );
      res.end(answer);
    }
    // The answer goes out first; the charge is recorded right after (idle() and close() wait for it).
    if (usage === undefined) {
      hub.logger.warn(
        `gateway: request ${requestId} got an answer without usage; its hold is released and nothing is charged`,
      );
      ctx.track(fail(new DrawdownError(GatewayErrorCodes.NO_USAGE, 'the upstream answer carried no usage')));
    } else {
      ctx.track(settle(usage, reportedModel));
    }
    return;
  }

  const reader = await pipeStream(res, response, () => clientGone, abort);
  ctx.track(
    reader.usage !== undefined
      ? settle(reader.usage, reader.model)
      : fail(
          new DrawdownError(
            GatewayErrorCodes.STREAM_ENDED_EARLY,
            'the stream ended before the message started; nothing was charged',
          ),
        ),
  );
  return;
}
