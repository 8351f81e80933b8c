import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKey, createHub, formatUsd, isDrawdownError, usd } from '@drawdown/core';
import { sqliteStore } from '@drawdown/store-sqlite';
import { invoiceAccount } from './invoice-account.js';

/** Spends on a $25 credit line until it refuses, printing what happens. Returns the lines printed. */
export async function main(
  file = join(mkdtempSync(join(tmpdir(), 'drawdown-invoice-')), 'ledger.sqlite'),
): Promise<string[]> {
  const lines: string[] = [];
  const say = (line: string): void => {
    lines.push(line);
    console.log(line);
  };
  const store = sqliteStore({ file });
  const hub = await createHub({
    store,
    plugins: [
      apiKey({ id: 'company-key', key: 'sk-ant-example-not-a-real-key' }),
      invoiceAccount({ id: 'invoice', creditLine: '25.00' }),
    ],
    route: { entries: [{ id: 'company', strategy: 'company-key', pool: 'invoice' }] },
  });
  hub.on('invoice.near-limit', (e) => say(`event invoice.near-limit: ${e.message}`));
  try {
    for (let i = 1; ; i++) {
      const lease = await hub.begin({ requestId: `req-${i}`, model: 'claude-sonnet-4-5', amount: usd('4.00') });
      const settled = await lease.settle({ cost: usd('4.00') });
      say(`request ${i}: charged ${formatUsd(settled.cost)}; ${(await hub.pool('invoice').status()).summary}`);
    }
  } catch (error) {
    if (!isDrawdownError(error)) throw error;
    say(`refused (${error.code}): ${error.message}`);
  } finally {
    await hub.close();
    await store.close();
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
