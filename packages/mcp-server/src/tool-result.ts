import { isDrawdownError, type Logger } from '@drawdown/core';
import type { CallToolResult, InputRequiredResult } from '@modelcontextprotocol/server';
import type { Scrub } from './read-model.js';

/** A successful tool result: the same JSON as `structuredContent` and as text, scrubbed of secrets. */
export function jsonResult(value: object, scrub: Scrub): CallToolResult {
  const text = scrub(JSON.stringify(value, null, 2));
  return { content: [{ type: 'text', text }], structuredContent: JSON.parse(text) as Record<string, unknown> };
}

/**
 * A tool error the model can act on: drawdown errors keep their message and code; anything else is
 * logged (to stderr) and reported without internals.
 */
export function errorResult(error: unknown, scrub: Scrub, logger: Logger, tool: string): CallToolResult {
  let text: string;
  if (isDrawdownError(error)) text = `${error.message} (${error.code})`;
  else {
    logger.warn(`tool ${tool} failed: ${error instanceof Error ? error.message : String(error)}`);
    text = `${tool} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`;
  }
  return { isError: true, content: [{ type: 'text', text: scrub(text) }] };
}

/** Runs a tool body and turns a thrown error into a tool error result. */
export async function guarded<R extends CallToolResult | InputRequiredResult>(tool: string, scrub: Scrub, logger: Logger, body: () => Promise<R>): Promise<R | CallToolResult> {
  try {
    return await body();
  } catch (error) {
    return errorResult(error, scrub, logger, tool);
  }
}
