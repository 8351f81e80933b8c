import { resolve } from 'node:path';
import { CLIENTS, mcpClientConfig, type ClientName } from './clients.js';

// Usage: pnpm --filter @drawdown/example-mcp-clients start <claude-desktop|claude-code|cursor> [drawdown.config.json]
const [client = 'claude-desktop', config = 'drawdown.config.json'] = process.argv.slice(2);
if (!(client in CLIENTS)) {
  console.error(`unknown client "${client}"; use one of ${Object.keys(CLIENTS).join(', ')}`);
  process.exit(1);
}
console.error(`Put this in ${CLIENTS[client as ClientName].where}:`);
console.log(JSON.stringify(mcpClientConfig(client as ClientName, resolve(config)), null, 2));
