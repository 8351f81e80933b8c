#!/usr/bin/env node
import { stderrLogger } from '@drawdown/core';
import { hubFromEnvironment } from './env-hub.js';
import { serveHttp } from './http.js';
import { serveStdio } from './stdio.js';

// stdout belongs to the protocol: anything a dependency prints with console.log goes to stderr.
console.log = console.error;
console.info = console.error;

const HELP = `drawdown-mcp — drawdown pools, usage, estimates and routing over MCP

Usage: drawdown-mcp [--http] [--host 127.0.0.1] [--port 0]

  (default)   serve over stdio (what Claude Desktop, Claude Code and Cursor start)
  --http      serve Streamable HTTP instead; prints the endpoint URL on stderr

Environment:
  DRAWDOWN_DB             SQLite ledger file to read (needs @drawdown/store-sqlite)
  DRAWDOWN_MCP_WRITES=1   offer add_funds and set_auto_reload (each asks the user to confirm)
  DRAWDOWN_MCP_TOKEN      bearer token clients must send over HTTP (required beyond 127.0.0.1)
`;

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (args.includes('--help') || args.includes('-h')) {
  process.stderr.write(HELP);
  process.exit(0);
}

const logger = stderrLogger();
try {
  const hub = await hubFromEnvironment(process.env, logger);
  const writes = process.env.DRAWDOWN_MCP_WRITES === '1';
  if (args.includes('--http')) {
    const token = process.env.DRAWDOWN_MCP_TOKEN;
    const host = flag('--host');
    const port = flag('--port');
    const handle = await serveHttp({ hub, writes, ...(host && { host }), ...(port && { port: Number(port) }), ...(token && { bearerToken: token }) });
    process.stderr.write(`drawdown-mcp: serving ${handle.url}\n`);
    const stop = (): void => void handle.close().then(() => hub.close()).finally(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } else {
    serveStdio({ hub, writes });
  }
} catch (error) {
  process.stderr.write(`drawdown-mcp: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
