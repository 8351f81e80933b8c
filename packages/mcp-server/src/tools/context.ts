import type { Hub, Logger, RateCard } from '@drawdown/core';
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { Scrub } from '../read-model.js';

/** What every tool registration needs. */
export interface ToolContext {
  hub: Hub;
  scrub: Scrub;
  logger: Logger;
}

/**
 * What the pricing tools need: a rate card and the time, plus the hub when there is one (the
 * pools an estimate is compared with). Prices need no configuration, so these tools also answer
 * on a server that has no hub.
 */
export interface PricingContext {
  rateCard: RateCard;
  now: () => number;
  hub?: Hub;
  scrub: Scrub;
  logger: Logger;
}

/** The pricing context of a server with a hub: its rate card, clock and pools. */
export function pricingOf({ hub, scrub, logger }: ToolContext): PricingContext {
  return { rateCard: hub.rateCard, now: () => hub.clock.now(), hub, scrub, logger };
}

/** Reads the ledger and prices only: safe to call any time, as often as wanted. */
export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
