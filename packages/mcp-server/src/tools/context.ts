import type { Hub, Logger } from '@drawdown/core';
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { Scrub } from '../read-model.js';

/** What every tool registration needs. */
export interface ToolContext {
  hub: Hub;
  scrub: Scrub;
  logger: Logger;
}

/** Reads the ledger and prices only: safe to call any time, as often as wanted. */
export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
