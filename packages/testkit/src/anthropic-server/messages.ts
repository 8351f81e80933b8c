import { randomBytes } from 'node:crypto';
import type { MessageReply, ScriptedUsage } from './replies.js';

const DEFAULT_TEXT = 'Hello from the loopback Anthropic server.';
/** Characters per token the server assumes when it makes up usage for a request. */
const CHARS_PER_TOKEN = 4;

export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('base64url')}`;

/** Input tokens the server reports when the script gives none: the request's text at 4 chars/token. */
export function estimateInputTokens(body: Record<string, unknown>): number {
  const text = JSON.stringify({ system: body.system, messages: body.messages, tools: body.tools }) ?? '';
  return Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN));
}

export interface ResolvedMessage {
  id: string;
  model: string;
  text: string;
  /** The text of each content block (one unless the reply gave `texts`). */
  blocks: string[];
  stopReason: string;
  usage: Required<
    Pick<ScriptedUsage, 'input_tokens' | 'output_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens'>
  > &
    ScriptedUsage;
}

export function resolveMessage(reply: MessageReply, body: Record<string, unknown>): ResolvedMessage {
  const blocks = reply.texts !== undefined && reply.texts.length > 0 ? reply.texts : [reply.text ?? DEFAULT_TEXT];
  const text = blocks.join(' ');
  const words = text.split(/\s+/).filter(Boolean).length;
  return {
    id: newId('msg'),
    model: reply.model ?? (typeof body.model === 'string' ? body.model : 'claude-sonnet-4-5'),
    text,
    blocks,
    stopReason: reply.stopReason ?? 'end_turn',
    usage: {
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      ...reply.usage,
      input_tokens: reply.usage?.input_tokens ?? estimateInputTokens(body),
      output_tokens: reply.usage?.output_tokens ?? Math.max(1, words),
    },
  };
}

/** The `usage` object as the API spells it. */
export function usageJson(usage: ResolvedMessage['usage']): Record<string, unknown> {
  return {
    input_tokens: usage.input_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens,
    cache_read_input_tokens: usage.cache_read_input_tokens,
    cache_creation: usage.cache_creation ?? {
      ephemeral_5m_input_tokens: usage.cache_creation_input_tokens,
      ephemeral_1h_input_tokens: 0,
    },
    output_tokens: usage.output_tokens,
    ...(usage.server_tool_use && { server_tool_use: usage.server_tool_use }),
    service_tier: usage.service_tier ?? 'standard',
    ...(usage.inference_geo !== undefined && { inference_geo: usage.inference_geo }),
  };
}

/** The non-streaming reply body. */
export function messageBody(message: ResolvedMessage): Record<string, unknown> {
  return {
    id: message.id,
    type: 'message',
    role: 'assistant',
    model: message.model,
    content: message.blocks.map((text) => ({ type: 'text', text })),
    stop_reason: message.stopReason,
    stop_sequence: null,
    usage: usageJson(message.usage),
  };
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Splits text into a few deltas the way the API streams it: word by word with the spaces kept. */
function chunks(text: string): string[] {
  const parts = text.match(/\S+\s*/g) ?? [text];
  return parts.length > 0 ? parts : [''];
}

/**
 * The event sequence of a streamed message, as the API sends it: `message_start` (input and
 * cache counts, a small output count), a `ping`, one text block's start/deltas/stop,
 * `message_delta` with cumulative usage, and `message_stop`.
 */
export function streamEvents(message: ResolvedMessage, options: { nullInputInDelta?: boolean } = {}): SseEvent[] {
  const startUsage = { ...usageJson(message.usage), output_tokens: Math.min(1, message.usage.output_tokens) };
  const deltaUsage = options.nullInputInDelta
    ? {
        input_tokens: null,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
        output_tokens: message.usage.output_tokens,
        ...(message.usage.server_tool_use && { server_tool_use: message.usage.server_tool_use }),
      }
    : {
        input_tokens: message.usage.input_tokens,
        cache_creation_input_tokens: message.usage.cache_creation_input_tokens,
        cache_read_input_tokens: message.usage.cache_read_input_tokens,
        output_tokens: message.usage.output_tokens,
        ...(message.usage.server_tool_use && { server_tool_use: message.usage.server_tool_use }),
      };
  return [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: message.id,
          type: 'message',
          role: 'assistant',
          model: message.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: startUsage,
        },
      },
    },
    ...message.blocks.flatMap((block, index) => [
      {
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      },
      ...(index === 0 ? [{ event: 'ping', data: { type: 'ping' } }] : []),
      ...chunks(block).map((text) => ({
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
      })),
      { event: 'content_block_stop', data: { type: 'content_block_stop', index } },
    ]),
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: message.stopReason, stop_sequence: null },
        usage: deltaUsage,
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ];
}

export const formatSse = (event: SseEvent): string => `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
