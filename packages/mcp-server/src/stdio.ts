import type { Transport } from '@modelcontextprotocol/server';
import { serveStdio as serveSdkStdio } from '@modelcontextprotocol/server/stdio';
import { createDrawdownMcpServer, type DrawdownMcpServerOptions } from './server.js';

export interface ServeStdioOptions extends DrawdownMcpServerOptions {
  /** Another stdio-shaped transport (a socket); default this process's stdin/stdout. */
  transport?: Transport;
}

export interface StdioHandle {
  close(): Promise<void>;
}

/**
 * Serves the hub over stdio in both protocol eras: a client that opens with `initialize` gets the
 * 2025-11-25 protocol, one that sends 2026-07-28 requests (or probes with `server/discover`) gets
 * that. stdout carries protocol messages only; diagnostics go to the hub's logger (stderr).
 */
export function serveStdio(options: ServeStdioOptions): StdioHandle {
  const { transport, ...serverOptions } = options;
  return serveSdkStdio(() => createDrawdownMcpServer(serverOptions), {
    ...(transport && { transport }),
    onerror: (error) => options.hub.logger.warn(`mcp stdio: ${error.message}`),
  });
}
