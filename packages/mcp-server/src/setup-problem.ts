import type { RateCard } from '@drawdown/core';
import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { jsonResult } from './tool-result.js';
import { READ_ONLY } from './tools/context.js';
import { POOLS_URI } from './uris.js';

/**
 * Why the server has no hub to serve (a missing or broken configuration, a damaged ledger), and
 * what the user should do. Served instead of dying: an MCP client shows a dead server and hides
 * stderr, so the message has to travel over the protocol to be read at all.
 */
export interface SetupProblem {
  /** What is wrong, on one line, naming the file or field. */
  message: string;
  /** How to fix it, on one line. */
  hint: string;
  /** The `DrawdownError` code behind it, when there is one. */
  code?: string;
  /**
   * What is true without a configuration (Claude Code's own spend on this machine, which pools
   * tools here draw from), offered as the `local_usage` tool while the problem lasts.
   */
  localUsage?: (options: { days?: number }) => Promise<object>;
  /**
   * Prices need no configuration: when the problem leaves them sound (there is no configuration at
   * all, rather than a broken one), `rate_card` and `estimate_cost` answer from this card, and
   * `estimate_cost` lists no pools.
   */
  rateCard?: RateCard;
}

export const LOCAL_USAGE_TOOL = 'local_usage';

/** The two lines every tool answers with while the setup problem lasts. */
export function setupProblemText(problem: SetupProblem): string {
  const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();
  return `drawdown is not set up: ${oneLine(problem.message)}${problem.code ? ` (${problem.code})` : ''}\nTo fix: ${oneLine(problem.hint)}`;
}

export function setupProblemResult(problem: SetupProblem): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: setupProblemText(problem) }] };
}

/**
 * The same schema as listed in `tools/list`, except that it accepts any arguments: while the setup
 * problem lasts, a call with malformed arguments still gets the guidance, not a validation error
 * about a call that could not have worked anyway.
 */
function acceptingAnyArguments<S extends object>(schema: S): S {
  return new Proxy(schema, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== '~standard' || typeof value !== 'object' || value === null) return value;
      return { ...value, validate: (input: unknown) => ({ value: input }) };
    },
  });
}

/**
 * A stand-in for the server that registers tools with their real names and schemas, but answers
 * every call with the setup problem, so `tools/list` shows what will work once it is fixed. The
 * MCP App link (`_meta.ui`) is left off: without a hub there is no dashboard to show, and the
 * guidance already travels in every result.
 */
export function answeringWithProblem(server: McpServer, problem: SetupProblem): McpServer {
  const result = setupProblemResult(problem);
  const registerTool = (name: string, config: { inputSchema?: object; _meta?: unknown } & Record<string, unknown>) => {
    const { _meta, inputSchema, ...rest } = config;
    const answering = { ...rest, ...(inputSchema && { inputSchema: acceptingAnyArguments(inputSchema) }) };
    return server.registerTool(name, answering as never, (() => result) as never);
  };
  return new Proxy(server, {
    get: (target, key, receiver) => (key === 'registerTool' ? registerTool : Reflect.get(target, key, receiver)),
  });
}

/** `drawdown://pools` reads as the setup problem, so a client that reads resources learns it too. */
export function registerProblemResource(server: McpServer, problem: SetupProblem): void {
  server.registerResource(
    'pools',
    POOLS_URI,
    {
      title: 'All pools',
      description:
        'Every pool that can pay for Claude requests. drawdown is not set up yet: reading this says what to fix.',
      mimeType: 'text/plain',
    },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: setupProblemText(problem) }] }),
  );
}

/** `local_usage`: the view that needs no configuration, the one tool that answers with data. */
export function registerLocalUsage(server: McpServer, read: NonNullable<SetupProblem['localUsage']>): void {
  server.registerTool(
    LOCAL_USAGE_TOOL,
    {
      title: 'Claude Code usage on this machine',
      description:
        'What the local Claude Code has spent at API prices, observed from its own session logs (deduplicated by message and request id; observed, not enforced), by day and model, ' +
        'with the log lines skipped by reason and the part resting on unconfirmed [U] prices. Requests drawdown metered itself are left out (they are in usage_report). ' +
        'Works with no drawdown configuration, where it also says what Claude Code last said about plan windows and which pools an API-key tool here would draw from.',
      inputSchema: z.object({
        days: z.number().int().min(1).max(366).optional().describe('Days back from today, inclusive (default 7)'),
      }),
      annotations: { title: 'Claude Code usage on this machine', ...READ_ONLY },
    },
    async ({ days }) => {
      try {
        return jsonResult(await read(days === undefined ? {} : { days }), (text) => text);
      } catch (error) {
        return {
          isError: true,
          content: [
            {
              type: 'text',
              text: `${LOCAL_USAGE_TOOL} could not read Claude Code's logs: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
            },
          ],
        };
      }
    },
  );
}
