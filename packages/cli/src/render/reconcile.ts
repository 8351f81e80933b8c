import { formatUsd } from '@drawdown/core';
import { CATEGORY_LABELS, type ReconciledGroup, type ReconcileResult } from '@drawdown/core/reconcile';
import { formatCount, renderTable, type DetailRow } from './table.js';
import { fitText, type View } from './status.js';
import { paint } from './terminal.js';

const minute = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const signed = (n: number): string => `${n > 0 ? '+' : ''}${formatCount(n)}`;
const signedUsd = (n: number, view: View): string => `${n > 0 ? '+' : ''}${formatUsd(n, view.usd)}`;

const STATUS_WORDS: Record<ReconciledGroup['status'], string> = {
  match: 'match',
  drift: 'drift',
  'not-reported-yet': 'not yet',
  'not-final': 'not final',
};

function statusCell(group: ReconciledGroup, view: View): string {
  const word = STATUS_WORDS[group.status];
  return group.status === 'drift'
    ? paint(view, 'red', word)
    : group.status === 'match'
      ? paint(view, 'green', word)
      : paint(view, 'yellow', word);
}

/** One line per category that differs, under a drifting group. */
function driftLines(group: ReconciledGroup, view: View): DetailRow[] {
  const why = group.reason !== undefined ? [{ detail: paint(view, 'dim', `  ↳ ${group.reason}`) }] : [];
  if (group.status !== 'drift') return why;
  return [
    ...why,
    ...group.drift.map((d) => ({
      detail: paint(
        view,
        'dim',
        `    ${CATEGORY_LABELS[d.category]}: ledger ${formatCount(d.ledger)}, Anthropic ${formatCount(d.reported)} (${signed(d.tokens)}${d.nanos !== undefined ? `, ${signedUsd(d.nanos, view)}` : ''})`,
      ),
    })),
  ];
}

/** `drawdown reconcile`: one row per group that is not a plain match (all with `all`), then the totals. */
export function renderReconcile(result: ReconcileResult, view: View, options: { all?: boolean } = {}): string {
  const from = minute(result.from);
  const to = minute(result.to);
  const span = to.slice(0, 10) === from.slice(0, 10) ? `${from}–${to.slice(11)}` : `${from} – ${to}`;
  const report = result.source === 'analytics' ? 'Analytics API' : 'usage report';
  const header = `Ledger vs Anthropic's ${report}, ${span} UTC, ${result.bucket} buckets`;
  const shown = options.all ? result.groups : result.groups.filter((g) => g.status !== 'match');
  const rows = shown.flatMap((g) => [
    [
      minute(g.bucketStart),
      g.pools.join(', '),
      g.model,
      statusCell(g, view),
      g.driftNanos !== undefined && g.status !== 'match' ? formatUsd(g.driftNanos, view.usd) : '—',
    ],
    ...driftLines(g, view),
  ]);
  const table =
    shown.length === 0
      ? result.groups.length === 0
        ? 'Neither the ledger nor Anthropic has usage for these keys in this range.'
        : `All ${result.groups.length} groups match.`
      : renderTable(
          [
            { header: 'Bucket (UTC)' },
            { header: 'Pools', shrink: 'truncate' },
            { header: 'Model', shrink: 'truncate' },
            { header: 'Status' },
            { header: 'Drift', align: 'right' },
          ],
          rows,
          undefined,
          { ...(view.width !== undefined && { maxWidth: view.width }) },
        );
  const t = result.totals;
  const counts = [
    `${t.match} match`,
    `${t.drift} drift${t.drift > 0 ? ` (${formatUsd(t.driftNanos, view.usd)})` : ''}`,
    ...(t.pending > 0 ? [`${t.pending} not reported yet`] : []),
  ].join(', ');
  const verdict = result.exceedsTolerance
    ? paint(view, 'red', `Drift beyond the ${formatUsd(result.toleranceNanos, view.usd)} tolerance: ${counts}.`)
    : `No drift beyond the ${formatUsd(result.toleranceNanos, view.usd)} tolerance: ${counts}.`;
  const money = `Ledger charged ${formatUsd(t.chargedNanos, view.usd)}; Anthropic's counts at the rate card: ${formatUsd(t.reportedPriceNanos, view.usd)}.`;
  const shared = result.sharedKeys.map(
    (s) =>
      `Pools ${s.pools.join(' and ')} share one API key (${s.apiKeyId}): Anthropic cannot tell them apart, so they are matched together, not per pool.`,
  );
  const pages = `Read ${result.pages} page${result.pages === 1 ? '' : 's'}; buckets are final ${Math.round(result.reportingLagMs / 60_000)} min after they end.`;
  return [
    paint(view, 'bold', fitText(header, view)),
    '',
    table,
    '',
    ...[verdict, money, ...shared, pages].map((line) => fitText(line, view)),
  ].join('\n');
}
