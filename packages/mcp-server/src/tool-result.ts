import { isDrawdownError, type Logger } from '@drawdown/core';
import type { CallToolResult, InputRequiredResult } from '@modelcontextprotocol/server';
import type { Scrub } from './read-model.js';

/**
 * A successful tool result: the same JSON as `structuredContent` and as text, scrubbed of secrets.
 * The text is compact: a model reads it as well without indentation, and pays fewer tokens for it.
 */
export function jsonResult(value: object, scrub: Scrub): CallToolResult {
  const json = JSON.stringify(value);
  const text = scrub(json);
  // Almost always there was nothing to scrub: the value itself goes out as structured content (it
  // is serialised once more on the wire, to the same JSON) instead of a second copy parsed back.
  const structuredContent = (text === json ? value : JSON.parse(text)) as Record<string, unknown>;
  return { content: [{ type: 'text', text }], structuredContent };
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
export async function guarded<R extends CallToolResult | InputRequiredResult>(
  tool: string,
  scrub: Scrub,
  logger: Logger,
  body: () => Promise<R>,
): Promise<R | CallToolResult> {
  try {
    return await body();
  } catch (error) {
    return errorResult(error, scrub, logger, tool);
  }
}
