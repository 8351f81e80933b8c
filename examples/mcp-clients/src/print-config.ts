import { resolve } from 'node:path';
import { CLIENTS, mcpClientConfig, type ClientName } from './clients.js';

// Usage: pnpm --filter @drawdown/example-mcp-clients start <claude-desktop|claude-code|cursor> [drawdown.config.json]
// Without a file the entry uses the configuration drawdown finds itself (project, then user file).
const [client = 'claude-desktop', config] = process.argv.slice(2);
if (!(client in CLIENTS)) {
  console.error(`unknown client "${client}"; use one of ${Object.keys(CLIENTS).join(', ')}`);
  process.exit(1);
}
console.error(`Put this in ${CLIENTS[client as ClientName].where}:`);
console.log(
  JSON.stringify(mcpClientConfig(client as ClientName, config === undefined ? undefined : resolve(config)), null, 2),
);
