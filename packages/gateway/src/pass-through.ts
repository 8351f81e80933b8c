import { isDrawdownError, type RouteEntry } from '@drawdown/core';
import { headerRecord, observeHeaders } from '@drawdown/core/internal';
import type { Dispatcher } from 'undici';
import { sendError } from './anthropic-errors.js';
import { credentialsFor } from './attempt.js';
import type { GatewayCall, GatewayContext } from './context.js';
import { messageOf, readBody, responseHeaders, upstreamHeaders } from './http.js';
import { modelAllowed } from './keys.js';
import { bodyTooLarge, modelNotAllowed, noUsableEntry, refuse } from './refusal.js';

/** count_tokens and the model list cost nothing: forwarded with the first entry the key may use, no hold. */
export async function passThrough(ctx: GatewayContext, call: GatewayCall, method: 'GET' | 'POST'): Promise<void> {
  const { req, res, record } = call;
  const router = ctx.hub.router;
  let body: Buffer | undefined;
  if (method === 'POST') {
    const read = await readBody(req, ctx.settings.maxBodyBytes);
    if (read === 'too-large') return bodyTooLarge(ctx, res);
    body = read;
    // count_tokens names a model too: a key limited to some models may count only for those.
    if (record.models !== undefined) {
      let model: unknown;
      try {
        model = (JSON.parse(read.toString('utf8')) as { model?: unknown }).model;
      } catch {
        model = undefined;
      }
      if (typeof model === 'string' && !modelAllowed(record, model)) return modelNotAllowed(ctx, res, record, model);
    }
  }
  const exclude = ctx.excludedFor(record);
  const blocked: Parameters<typeof router.candidates>[1] = [];
  let entry: RouteEntry | undefined;
  for await (const candidate of router.candidates(exclude, blocked)) {
    entry = candidate.entry;
    break;
  }
  entry ??= router.entries.find((e) => !exclude.has(e.id));
  if (!entry) return noUsableEntry(res, record);
  const abort = new AbortController();
  res.on('close', () => !res.writableFinished && abort.abort());
  let response: Dispatcher.ResponseData;
  try {
    const credentials = await credentialsFor(entry);
    response = await ctx.upstream.request(call.target, {
      method,
      headers: upstreamHeaders(req, credentials, body?.length),
      ...(body && { body }),
      signal: abort.signal,
    });
  } catch (error) {
    if (isDrawdownError(error)) return refuse(ctx, res, error);
    return sendError(
      res,
      'api_error',
      `drawdown gateway: the upstream ${ctx.upstream.origin} failed: ${(error as { code?: string }).code ?? messageOf(error)}`,
      { status: 502, retry: true },
    );
  }
  ctx.metrics.upstreamStatus(response.statusCode);
  await observeHeaders(ctx.hub, entry.pool, headerRecord(response.headers));
  const answer = Buffer.from(await response.body.arrayBuffer());
  res.writeHead(response.statusCode, responseHeaders(response.headers, { 'content-length': String(answer.length) }));
  res.end(answer);
}
