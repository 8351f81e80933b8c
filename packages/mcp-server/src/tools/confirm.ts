import { DrawdownError } from '@drawdown/core';
import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  inputResponse,
  type InputRequiredResult,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { McpErrorCodes } from '../errors.js';

const CONFIRM_KEY = 'confirm';
const confirmSchema = z.object({ confirm: z.boolean().describe('Yes, go ahead') });

/** Whether the client declared it can put a question to its user (elicitation), on either era. */
function canAskUser(server: McpServer, ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const perRequest = envelope?.[CLIENT_CAPABILITIES_META_KEY] as { elicitation?: unknown } | undefined;
  const capabilities = perRequest ?? server.server.getClientCapabilities();
  return capabilities?.elicitation !== undefined;
}

/**
 * Asks the user to confirm a change of money. Written once in the multi-round-trip style: on
 * 2026-07-28 connections the client answers the `input_required` result and retries the call; on
 * 2025-era connections the SDK's shim turns it into an `elicitation/create` request. Returns the
 * `input_required` result to send while the answer is outstanding, or `true` once the user said yes;
 * throws DRAWDOWN_MCP_NOT_CONFIRMED when they declined.
 */
export function confirmWithUser(server: McpServer, ctx: ServerContext, question: string): InputRequiredResult | true {
  const answer = inputResponse(ctx.mcpReq.inputResponses, CONFIRM_KEY);
  if (answer.kind === 'missing') {
    if (!canAskUser(server, ctx)) {
      throw new DrawdownError(
        McpErrorCodes.CONFIRMATION_UNAVAILABLE,
        'this client cannot ask its user to confirm (it declared no elicitation capability), so nothing was changed. Make the change from the drawdown CLI, or use a client that supports elicitation.',
      );
    }
    return inputRequired({
      inputRequests: { [CONFIRM_KEY]: inputRequired.elicit({ message: question, requestedSchema: confirmSchema }) },
    });
  }
  const accepted =
    answer.kind === 'elicit' &&
    answer.action === 'accept' &&
    confirmSchema.safeParse(answer.content).data?.confirm === true;
  if (!accepted) {
    const how = answer.kind === 'elicit' && answer.action !== 'accept' ? answer.action : 'did not confirm';
    throw new DrawdownError(
      McpErrorCodes.NOT_CONFIRMED,
      `the user ${how === 'decline' ? 'declined' : how === 'cancel' ? 'cancelled' : how}; nothing was changed.`,
      { data: { action: how } },
    );
  }
  return true;
}
