import Anthropic, { type ClientOptions } from '@anthropic-ai/sdk';
import { Stream } from '@anthropic-ai/sdk/core/streaming';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import type {
  Message,
  MessageCreateParams,
  MessageCreateParamsNonStreaming,
  MessageCreateParamsStreaming,
  MessageStreamParams,
  RawMessageStreamEvent,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type { SdkCredentials } from '../contracts/auth.js';
import type { Pool } from '../contracts/pool.js';
import type { EntryMeta } from '../contracts/store.js';
import { DrawdownError, ErrorCodes } from '../errors.js';
import type { Hub } from '../hub.js';
import type { RequestLease, Settlement } from '../request-flow.js';
import { attemptAlongRoute, observeHeaders } from './attempt.js';
import { AnthropicErrorCodes } from './errors.js';
import { estimateFromParams } from './estimate.js';
import { rateLimitHeaderSubset } from './rate-limit-headers.js';
import { errorSignal, refusalKind } from './refusals.js';
import { createStreamUsage } from './stream-usage.js';

/** Per-call options of the SDK (timeout, signal, headers, maxRetries...). */
export type SdkRequestOptions = NonNullable<Parameters<Anthropic['messages']['create']>[1]>;

/** Per-call drawdown options, passed next to the SDK's own request options. */
export interface MeteredCallOptions extends SdkRequestOptions {
  drawdown?: {
    /** Idempotency key of the request; a fresh UUID when omitted. */
    requestId?: string;
    /** Use this route entry and no other (no failover). */
    entry?: string;
    /** Input tokens if you counted them (e.g. with count_tokens); otherwise estimated from the body. */
    inputTokens?: number;
    /** Descriptive fields for the hold and charge. */
    meta?: EntryMeta;
  };
}

export interface MeteredClientOptions {
  hub: Hub;
  /** API base URL (a gateway, or the testkit's loopback server). Default: the SDK's. */
  baseURL?: string;
  /** Other SDK client options (`maxRetries`, `timeout`, `fetch`, `defaultHeaders`, `logger`...). Credentials come from the route. */
  clientOptions?: Omit<ClientOptions, 'apiKey' | 'authToken' | 'baseURL' | 'credentials' | 'config' | 'profile'>;
  /**
   * When the API refuses because the entry's pool cannot pay (plan limit 429, 402, credit balance
   * too low), retry once on the next route entry the router allows. Default true; the route
   * (opt-ins, exhausted and sticky entries) still decides whether there is one.
   */
  failover?: boolean;
}

/** Where a metered call went and what it cost. */
export interface CallMetering {
  requestId: string;
  entryId: string;
  poolId: string;
  /** Present once the call settled (non-streaming calls always; streams after they end). */
  settlement?: Settlement;
  /** Entries tried before this one refused the request (failover). */
  refusedBy: string[];
}

export interface MeteredResponse<T> {
  data: T;
  response: Response;
  request_id: string | null | undefined;
  drawdown: CallMetering;
}

/** A promise of the call's result that can also give the raw response, like the SDK's `APIPromise`. */
export type MeteredPromise<T> = Promise<T> & { withResponse(): Promise<MeteredResponse<T>> };

/** A stream of raw events whose end settles the call. `drawdown` says where it was routed. */
export type MeteredStream = Stream<RawMessageStreamEvent> & { readonly drawdown: CallMetering };

export interface MeteredClient {
  readonly messages: {
    create(params: MessageCreateParamsNonStreaming, options?: MeteredCallOptions): MeteredPromise<Message>;
    create(params: MessageCreateParamsStreaming, options?: MeteredCallOptions): MeteredPromise<MeteredStream>;
    create(params: MessageCreateParams, options?: MeteredCallOptions): MeteredPromise<Message | MeteredStream>;
    /** The SDK's `MessageStream` helper, metered: events, `finalMessage()`, `abort()`. */
    stream(params: MessageStreamParams, options?: MeteredCallOptions): MessageStream;
  };
}

interface CachedClient {
  credentials: SdkCredentials;
  client: Anthropic;
}

const sameHeaders = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  if (a === b) return true;
  const names = Object.keys(a ?? {});
  if (names.length !== Object.keys(b ?? {}).length) return false;
  return names.every((name) => a![name] === b?.[name]);
};

/** Whether a cached client still carries what the strategy gives now (a refreshed token builds a new one). */
const sameCredentials = (a: SdkCredentials, b: SdkCredentials): boolean =>
  a.apiKey === b.apiKey && a.authToken === b.authToken && sameHeaders(a.defaultHeaders, b.defaultHeaders);

/** The SDK's promise of one attempt: awaited for the parsed body, asked for the raw response only on demand. */
type SdkCall = PromiseLike<Message | Stream<RawMessageStreamEvent>> & { asResponse(): Promise<Response> };

/** A finished attempt: what the caller gets, and the SDK call behind it. */
interface Outcome {
  data: Message | MeteredStream;
  attempt: SdkCall;
  drawdown: CallMetering;
}

/**
 * An Anthropic client whose every `messages.create` / `messages.stream` goes through the hub's
 * route: credentials from the chosen entry's strategy, a hold of the estimated maximum, the true
 * cost settled from `usage` (streams: `message_start` plus the last cumulative `message_delta`),
 * holds released on errors, and rate-limit headers handed to the entry's pool.
 */
export function createMeteredClient(options: MeteredClientOptions): MeteredClient {
  const { hub } = options;
  const failover = options.failover ?? true;
  const clients = new Map<string, CachedClient>();

  /**
   * Wraps fetch for one entry: every response's rate-limit headers reach the pool (also the
   * attempts the SDK retries), and a refusal that waiting cannot fix is marked `x-should-retry:
   * false` so the SDK does not spend its retries on it.
   */
  const fetchFor = (pool: Pool): typeof fetch => {
    const inner = options.clientOptions?.fetch ?? globalThis.fetch;
    return async (input, init) => {
      const response = await inner(input, init);
      // Nothing to read when the pool takes no signals and the answer cannot be a plan-limit refusal.
      if (!pool.observe && response.status !== 429) return response;
      const headers = rateLimitHeaderSubset(response.headers);
      await observeHeaders(hub, pool, headers);
      if (response.status === 429 && refusalKind(429, headers, undefined) === 'plan-limit') {
        const marked = new Headers(response.headers);
        marked.set('x-should-retry', 'false');
        return new Response(response.body, {
          status: response.status,
          statusText: response.statusText,
          headers: marked,
        });
      }
      return response;
    };
  };

  async function clientFor(lease: RequestLease): Promise<Anthropic> {
    const entry = lease.entry;
    if (entry.strategy.kind === 'delegated') {
      throw new DrawdownError(
        AnthropicErrorCodes.DELEGATED_ENTRY,
        `route entry "${entry.id}" uses the delegated strategy "${entry.strategy.id}": its requests are made by the user's own signed-in agent, so an in-process call has no credentials. Start the agent with hub.childEnv("${entry.id}"), or pin a key or OAuth entry with { drawdown: { entry } }.`,
        { data: { entryId: entry.id, strategyId: entry.strategy.id } },
      );
    }
    const credentials = await lease.credentials();
    if (!credentials.apiKey && !credentials.authToken) {
      throw new DrawdownError(
        ErrorCodes.AUTH_UNAVAILABLE,
        `strategy "${entry.strategy.id}" gave neither an API key nor an auth token for route entry "${entry.id}"`,
        {
          data: { entryId: entry.id, strategyId: entry.strategy.id },
        },
      );
    }
    const cached = clients.get(entry.id);
    if (cached && sameCredentials(cached.credentials, credentials)) return cached.client;
    const client = new Anthropic({
      ...options.clientOptions,
      ...(options.baseURL !== undefined && { baseURL: options.baseURL }),
      // Exactly one credential, and `null` for the other so the SDK never falls back to the environment.
      ...(credentials.apiKey
        ? { apiKey: credentials.apiKey, authToken: null }
        : { apiKey: null, authToken: credentials.authToken! }),
      defaultHeaders: { ...options.clientOptions?.defaultHeaders, ...credentials.defaultHeaders },
      fetch: fetchFor(entry.pool),
    });
    // A copy: a strategy that mutates the object it returned must still be seen as changed.
    clients.set(entry.id, {
      credentials: {
        ...credentials,
        ...(credentials.defaultHeaders && { defaultHeaders: { ...credentials.defaultHeaders } }),
      },
      client,
    });
    return client;
  }

  function begin(
    params: MessageCreateParams,
    call: MeteredCallOptions['drawdown'],
    exclude: string[],
  ): Promise<RequestLease> {
    if (typeof params?.model !== 'string' || typeof params.max_tokens !== 'number') {
      throw new DrawdownError(
        AnthropicErrorCodes.INVALID_PARAMS,
        'messages.create needs model and max_tokens to size the hold; pass both as the API requires',
        {
          data: { field: typeof params?.model !== 'string' ? 'model' : 'max_tokens' },
        },
      );
    }
    return hub.begin({
      model: params.model,
      estimate: estimateFromParams(params, hub.rateCard, call?.inputTokens),
      ...(call?.requestId !== undefined && { requestId: call.requestId }),
      ...(call?.entry !== undefined && { entry: call.entry }),
      ...(exclude.length > 0 && { exclude }),
      ...(call?.meta && { meta: call.meta }),
    });
  }

  /**
   * Settles from the answer's usage; a usage the card cannot price (malformed, an unknown model)
   * fails the lease so its hold is freed now, not at its TTL, and the error reaches the caller.
   */
  async function settleOrFail(lease: RequestLease, usage: unknown, model: string | undefined): Promise<Settlement> {
    try {
      return await lease.settle({ usage, ...(model !== undefined && { model }) });
    } catch (error) {
      await lease.fail(error);
      throw error;
    }
  }

  /** Settles a stream when it ends: in full after message_stop, else what the API already reported. */
  function meterStream(
    source: Stream<RawMessageStreamEvent>,
    lease: RequestLease,
    metering: CallMetering,
  ): MeteredStream {
    const tracked = createStreamUsage();
    let finished = false;
    const finish = async (error: unknown): Promise<void> => {
      if (finished) return;
      finished = true;
      if (tracked.usage !== undefined) {
        // The API bills what it generated even when the reader leaves early: charge what it reported.
        metering.settlement = await settleOrFail(lease, tracked.usage, tracked.model);
      } else {
        await lease.fail(
          error ??
            new DrawdownError(
              AnthropicErrorCodes.STREAM_ENDED_EARLY,
              'the stream ended before the API started the message; nothing was charged',
              { data: { requestId: lease.requestId } },
            ),
        );
      }
    };
    async function* iterate(): AsyncGenerator<RawMessageStreamEvent> {
      let failure: unknown;
      try {
        for await (const event of source) {
          tracked.observe(event);
          yield event;
        }
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        if (tracked.complete && failure === undefined) {
          await finish(undefined);
        } else {
          // Aborted, broken off or failed midway: never let the ledger error hide the stream's own.
          await finish(failure).catch((error: unknown) =>
            hub.logger.warn(
              `settling an interrupted stream failed: ${error instanceof Error ? error.message : String(error)}`,
            ),
          );
        }
      }
    }
    const stream = new Stream<RawMessageStreamEvent>(iterate, source.controller) as MeteredStream;
    Object.defineProperty(stream, 'drawdown', { value: metering, enumerable: true });
    return stream;
  }

  async function run(params: MessageCreateParams, callOptions: MeteredCallOptions | undefined): Promise<Outcome> {
    const { drawdown: call, ...sdkOptions } = callOptions ?? {};
    const outcome = await attemptAlongRoute<{ data: Message | Stream<RawMessageStreamEvent>; attempt: SdkCall }, null>({
      hub,
      begin: (exclude) => begin(params, call, exclude),
      failover: failover && call?.entry === undefined,
      ...(sdkOptions.signal != null && { signal: sdkOptions.signal }),
      refreshed: (lease) => clients.delete(lease.entry.id),
      async attempt(lease) {
        const client = await clientFor(lease);
        const attempt: SdkCall = client.messages.create(params, sdkOptions);
        try {
          // The fetch wrapper has shown every response's headers to the pool already.
          return { ok: true, value: { data: await attempt, attempt } };
        } catch (error) {
          const signal = errorSignal(error, hub.clock.now());
          if (!signal) throw error;
          return {
            ok: false,
            status: signal.status!,
            headers: signal.headers ?? {},
            ...(signal.errorType !== undefined && { errorType: signal.errorType }),
            ...(signal.message !== undefined && { message: signal.message }),
            error,
            value: null,
          };
        }
      },
    });
    if (outcome.kind === 'refused') throw outcome.reply.error;
    const { lease, value, refusedBy } = outcome;
    const metering: CallMetering = {
      requestId: lease.requestId,
      entryId: lease.entry.id,
      poolId: lease.pool.id,
      refusedBy: [...refusedBy],
    };
    if (params.stream) {
      return {
        data: meterStream(value.data as Stream<RawMessageStreamEvent>, lease, metering),
        attempt: value.attempt,
        drawdown: metering,
      };
    }
    const message = value.data as Message;
    metering.settlement = await settleOrFail(lease, message.usage, message.model);
    return { data: message, attempt: value.attempt, drawdown: metering };
  }

  function create(
    params: MessageCreateParams,
    callOptions?: MeteredCallOptions,
  ): MeteredPromise<Message | MeteredStream> {
    const outcome = run(params, callOptions);
    const promise = outcome.then((o) => o.data) as MeteredPromise<Message | MeteredStream>;
    // Callers that only use withResponse() must not see an unhandled rejection from this one.
    promise.catch(() => undefined);
    // The raw response is looked up only for callers that ask for it, not on every call.
    promise.withResponse = async () => {
      const { data, attempt, drawdown } = await outcome;
      const response = await attempt.asResponse();
      return {
        data,
        response,
        request_id: response.headers.get('request-id'),
        workspace_id: response.headers.get('anthropic-workspace-id'),
        drawdown,
      };
    };
    return promise;
  }

  return {
    messages: {
      create: create as MeteredClient['messages']['create'],
      stream(params, callOptions) {
        // MessageStream drives `create(..., { stream: true }).withResponse()` on what it is given.
        const messages = { create } as unknown as Anthropic['messages'];
        return MessageStream.createMessage(messages, params as MessageCreateParams, callOptions as SdkRequestOptions);
      },
    },
  };
}
