import { describeServer } from './conformance.js';
import { newClient, stdioTransport, type TestClient } from './helpers.js';

// One spawned server per kind of connection a test needs (writes off; writes on, for a client that
// can confirm; writes on, for one that cannot), all on the block's ledger, shared by its tests.
describeServer('stdio (spawned process)', async ({ era, db }) => {
  const connect = async (writes: boolean, canConfirm: boolean): Promise<TestClient> => {
    const client = newClient({ era, canConfirm });
    await client.connect(stdioTransport({ DRAWDOWN_DB: db, ...(writes && { MCP_WRITES: '1' }) }));
    // A round trip: the server has opened the ledger and answers before any test runs.
    await client.listTools();
    return client;
  };
  const [readOnly, confirming, unconfirming] = await Promise.all([
    connect(false, true),
    connect(true, true),
    connect(true, false),
  ]);
  return {
    async client({ writes, canConfirm = true }) {
      const client = !writes ? readOnly : canConfirm ? confirming : unconfirming;
      client.forget();
      return client;
    },
    afterTest: async () => {},
    close: async () => {
      await Promise.all([readOnly, confirming, unconfirming].map((client) => client.close()));
    },
  };
});
