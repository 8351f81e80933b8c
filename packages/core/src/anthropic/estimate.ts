import type { EstimateRequest, RateCard } from '../rate-card/rate-card.js';
import { CHARS_PER_TOKEN_ESTIMATE } from '../rate-card/rate-card.js';

/**
 * Tokens assumed per image: the API scales images to about 1.15 megapixels, which is about 1,600
 * tokens, so this is an upper bound for one image.
 */
export const IMAGE_TOKENS_ESTIMATE = 1_600;
/** Tokens assumed per attached document (a few pages). Holds for large PDFs: pass `inputTokens`. */
export const DOCUMENT_TOKENS_ESTIMATE = 3_000;

interface Tally {
  chars: number;
  fixedTokens: number;
  cacheWrite?: '5m' | '1h';
}

function walk(value: unknown, tally: Tally): void {
  if (typeof value === 'string') {
    tally.chars += value.length;
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) walk(item, tally);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const block = value as Record<string, unknown>;
  const control = block.cache_control as { ttl?: string } | undefined;
  if (control && typeof control === 'object')
    tally.cacheWrite = control.ttl === '1h' || tally.cacheWrite === '1h' ? '1h' : '5m';
  switch (block.type) {
    case 'image':
      tally.fixedTokens += IMAGE_TOKENS_ESTIMATE;
      return;
    case 'document':
      if ((block.source as { type?: string } | undefined)?.type === 'text')
        walk((block.source as { data?: unknown }).data, tally);
      else tally.fixedTokens += DOCUMENT_TOKENS_ESTIMATE;
      return;
    case 'text':
      walk(block.text, tally);
      return;
    case 'thinking':
      walk(block.thinking, tally);
      return;
    case 'tool_use':
    case 'server_tool_use':
      tally.chars += JSON.stringify(block.input ?? {}).length + String(block.name ?? '').length;
      return;
    case 'tool_result':
      walk(block.content, tally);
      return;
    default:
      // Unknown block kinds: count their JSON, which leans high.
      tally.chars += JSON.stringify(block).length;
  }
}

/** What the estimate needs from a `messages.create` body. */
export interface EstimableParams {
  model: string;
  max_tokens: number;
  messages: unknown;
  system?: unknown;
  tools?: unknown;
  /** `"us"` holds at the 1.1× US-inference rates on the models that price it. */
  inference_geo?: unknown;
  /** `"fast"` holds at fast-mode rates. */
  speed?: unknown;
}

/**
 * Sizes the hold of a planned call from its body: text of system, messages and tools at the rate
 * card's conservative characters-per-token (times the model's tokenizer factor), fixed allowances
 * for images and documents, cache writes when a `cache_control` is present, and web searches up to
 * the tool's `max_uses`. The settle records the true cost whatever the estimate was.
 */
export function estimateFromParams(
  params: EstimableParams,
  rateCard: RateCard,
  inputTokens?: number,
): Omit<EstimateRequest, 'model'> {
  const tally: Tally = { chars: 0, fixedTokens: 0 };
  walk(params.system, tally);
  walk(params.messages, tally);
  let webSearches = 0;
  if (Array.isArray(params.tools)) {
    for (const tool of params.tools as Array<Record<string, unknown>>) {
      tally.chars += JSON.stringify(tool).length;
      if (typeof tool.type === 'string' && tool.type.startsWith('web_search') && typeof tool.max_uses === 'number')
        webSearches += tool.max_uses;
    }
  }
  const factor = rateCard.resolve(params.model).tokenizerFactor;
  // The request's own modifiers size the hold; the card refuses values it does not know.
  const modifiers = {
    ...(params.inference_geo !== undefined && params.inference_geo !== null && { geo: String(params.inference_geo) }),
    ...(params.speed !== undefined && params.speed !== null && { speed: String(params.speed) }),
  };
  const tokens = inputTokens ?? Math.ceil((tally.chars / CHARS_PER_TOKEN_ESTIMATE) * factor) + tally.fixedTokens;
  return {
    inputTokens: tokens,
    maxTokens: params.max_tokens,
    ...(tally.cacheWrite && { cacheWrite: tally.cacheWrite }),
    ...(webSearches > 0 && { webSearches }),
    ...modifiers,
  };
}
