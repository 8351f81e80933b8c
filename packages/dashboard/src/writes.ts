import type { Hub } from '@drawdown/core';
import { createDrawdownMcpServer } from '@drawdown/mcp-server';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';

/** The guarded writes the page offers, by their MCP tool names. */
export const WRITE_TOOLS = ['add_funds', 'set_auto_reload'] as const;
export type WriteTool = (typeof WRITE_TOOLS)[number];

export type WriteOutcome =
  /** Nothing changed yet: show the person this question; call again with it as `confirmed`. */
  { kind: 'confirm'; question: string } | { kind: 'done'; result: unknown } | { kind: 'error'; message: string };

export interface DashboardWrites {
  call(tool: WriteTool, args: Record<string, unknown>, confirmed?: string): Promise<WriteOutcome>;
}

/**
 * The page's writes run the MCP server's own `add_funds` and `set_auto_reload` tools in process,
 * so they check, describe and confirm a change exactly as they do for an MCP client. The tool asks
 * its question through elicitation; the first call declines it and hands the question to the page,
 * and the second call accepts only the very question the person saw (a changed balance changes the
 * question, which is then put to the person again). Declining changes nothing.
 */
export function dashboardWrites(hub: Hub): DashboardWrites {
  return {
    async call(tool, args, confirmed) {
      const server = createDrawdownMcpServer({ hub, writes: true }, { live: false });
      const client = new Client(
        { name: 'drawdown-dashboard', version: '1.0.0' },
        { capabilities: { elicitation: {} }, versionNegotiation: { mode: 'legacy' } },
      );
      let asked: string | undefined;
      client.setRequestHandler('elicitation/create', async (request) => {
        asked = request.params.message;
        return confirmed !== undefined && asked === confirmed
          ? { action: 'accept', content: { confirm: true } }
          : { action: 'decline' };
      });
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      try {
        await client.connect(clientSide);
        const result = await client.callTool({ name: tool, arguments: args });
        if (asked !== undefined && asked !== confirmed) return { kind: 'confirm', question: asked };
        const text =
          (result.content as Array<{ type: string; text?: string }> | undefined)?.find((c) => c.type === 'text')
            ?.text ?? '';
        if (result.isError) return { kind: 'error', message: text.replace(/^Error:\s*/, '') };
        return { kind: 'done', result: result.structuredContent ?? text };
      } finally {
        await client.close();
        await server.close();
      }
    },
  };
}
