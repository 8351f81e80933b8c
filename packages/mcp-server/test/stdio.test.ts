import { describeServer } from './conformance.js';
import { newClient, stdioTransport, tempDb } from './helpers.js';

describeServer('stdio (spawned process)', async ({ era, writes, answer }) => {
  const db = tempDb();
  const client = newClient({ era, ...(answer && { answer }) });
  await client.connect(stdioTransport({ DRAWDOWN_DB: db, ...(writes && { MCP_WRITES: '1' }) }));
  return { client, db, close: () => client.close() };
});
