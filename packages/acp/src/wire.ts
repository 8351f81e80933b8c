/**
 * The parts of ACP's JSON-RPC traffic the tap reads, typed structurally: the tap never changes a
 * message, and fields it does not read are left open. Shapes as `@agentclientprotocol/claude-agent-acp`
 * 0.101 sends them (see the package README, "What the adapter reports").
 */

export type JsonRpcId = string | number;

export interface JsonRpcMessage {
  jsonrpc?: string;
  id?: JsonRpcId | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/** Token counts of one model, as the adapter reports them in a prompt response's `_meta.quota`. */
export interface QuotaTokenCount {
  inputTokens?: number;
  /** Cache reads. */
  cachedInputTokens?: number;
  cachedWriteTokens?: number;
  outputTokens?: number;
  [field: string]: unknown;
}

/** `session/update` → `usage_update`: context occupancy, and at the end of a turn the session's cumulative cost. */
export interface UsageUpdate {
  sessionUpdate: 'usage_update';
  used?: number;
  size?: number;
  /** Cumulative cost of the session so far (a float), sent when a turn ends. */
  cost?: { amount: number; currency: string };
  _meta?: Record<string, unknown>;
}

export const RATE_LIMIT_META = '_claude/rateLimit';
export const MODEL_META = '_claude/model';

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON-RPC message: an object with a method (request, notification) or an id and a result or error (response). */
export function isJsonRpcMessage(value: unknown): value is JsonRpcMessage {
  return (
    isObject(value) && (typeof value.method === 'string' || ('id' in value && ('result' in value || 'error' in value)))
  );
}

export const isRequest = (m: JsonRpcMessage): m is JsonRpcMessage & { id: JsonRpcId; method: string } =>
  typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number');

export const isResponse = (m: JsonRpcMessage): m is JsonRpcMessage & { id: JsonRpcId } =>
  m.method === undefined && (typeof m.id === 'string' || typeof m.id === 'number') && ('result' in m || 'error' in m);

/** The `session/update` notification's session id and update, when `m` is one. */
export function sessionUpdate(m: JsonRpcMessage): { sessionId: string; update: Record<string, unknown> } | undefined {
  if (m.method !== 'session/update' || !isObject(m.params)) return undefined;
  const { sessionId, update } = m.params;
  return typeof sessionId === 'string' && isObject(update) ? { sessionId, update } : undefined;
}

export function isUsageUpdate(update: Record<string, unknown>): update is UsageUpdate & Record<string, unknown> {
  return update.sessionUpdate === 'usage_update';
}

/** `sessionId` of a request's params, when it names one. */
export function sessionIdOf(params: unknown): string | undefined {
  return isObject(params) && typeof params.sessionId === 'string' ? params.sessionId : undefined;
}

const count = (value: unknown): number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;

export interface TurnTokens {
  model: string | undefined;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/**
 * The token counts of one prompt turn from its `session/prompt` response: one row per model from
 * `_meta.quota.model_usage` (which also counts subagents and compaction), else the response's own
 * `usage` with no model (the caller supplies the one the agent last named).
 */
export function turnTokens(result: unknown): TurnTokens[] {
  if (!isObject(result)) return [];
  const quota = isObject(result._meta) && isObject(result._meta.quota) ? result._meta.quota : undefined;
  const rows = Array.isArray(quota?.model_usage) ? quota.model_usage : [];
  const fromRows: TurnTokens[] = [];
  for (const row of rows) {
    if (!isObject(row) || typeof row.model !== 'string' || row.model === '' || !isObject(row.token_count)) continue;
    const t = row.token_count as QuotaTokenCount;
    fromRows.push({
      model: row.model,
      input: count(t.inputTokens),
      output: count(t.outputTokens),
      cacheRead: count(t.cachedInputTokens),
      cacheWrite: count(t.cachedWriteTokens),
    });
  }
  if (fromRows.length > 0) return fromRows;
  if (!isObject(result.usage)) return [];
  const u = result.usage;
  return [
    {
      model: undefined,
      input: count(u.inputTokens),
      output: count(u.outputTokens),
      cacheRead: count(u.cachedReadTokens),
      cacheWrite: count(u.cachedWriteTokens),
    },
  ];
}
