import { stderrLogger, type Logger } from '@drawdown/core';
import type { Transport } from '@modelcontextprotocol/server';
import { serveStdio as serveSdkStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { withEraResourceNotFound } from './resource-not-found.js';
import { checkServed, createDrawdownMcpServer, type DrawdownMcpServerOptions } from './server.js';
import { screenStdin } from './stdio-screen.js';

export interface ServeStdioOptions extends DrawdownMcpServerOptions {
  /** Another stdio-shaped transport (a socket); default this process's stdin/stdout, screened for junk lines. */
  transport?: Transport;
}

export interface StdioHandle {
  close(): Promise<void>;
}

/** The first line of a diagnostic, kept short: stderr of an MCP server is read by people, if at all. */
export const firstLine = (text: string): string => {
  const line = text.split('\n')[0]!.trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
};

/**
 * Serves the hub over stdio in both protocol eras: a client that opens with `initialize` gets the
 * 2025-11-25 protocol, one that sends 2026-07-28 requests (or probes with `server/discover`) gets
 * that. stdout carries protocol messages only; diagnostics go to the hub's logger (stderr). A line
 * that is not a JSON-RPC message is answered (-32700 or -32600) and noted on stderr in one line.
 * With `setupProblem` instead of a hub, every tool answers with that problem and its fix.
 */
export function serveStdio(options: ServeStdioOptions): StdioHandle {
  const { transport, ...serverOptions } = options;
  const { hub } = checkServed(serverOptions);
  const logger: Logger = options.logger ?? hub?.logger ?? stderrLogger();
  const wire =
    transport ??
    new StdioServerTransport(
      screenStdin(process.stdin, { output: process.stdout, note: (line) => logger.warn(line) }),
      process.stdout,
    );
  return serveSdkStdio(() => createDrawdownMcpServer(serverOptions), {
    transport: withEraResourceNotFound(wire),
    onerror: (error) => logger.warn(`mcp stdio: ${firstLine(error.message)}`),
  });
}
