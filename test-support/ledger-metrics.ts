import type { LedgerStore } from '@drawdown/core';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** Parses a `/metrics` answer and reads one sample's value (0 when the series is absent). */
export function parseMetrics(text: string) {
  const families = parsePrometheusTextFormat(text);
  return {
    families,
    value(name: string, labels: Record<string, string> = {}): number {
      const family = families.find((f) => f.name === name);
      if (!family) throw new Error(`no metric family ${name} in the scrape`);
      const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
      return sample === undefined ? 0 : Number(sample.value);
    },
  };
}

/** The settled spend of one ledger account, summed from its charge rows. */
export async function ledgerSpend(store: LedgerStore, account: string): Promise<number> {
  const charges = await store.entries({ account, kinds: ['charge'] });
  return charges.reduce((sum, e) => sum + (e.kind === 'charge' ? e.record.cost : 0), 0);
}
