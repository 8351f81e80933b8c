import { formatUsd } from '@drawdown/core';
import { fitText, type View } from '../render/status.js';
import { amountColumn } from '../render/money.js';
import { formatCount, renderTable } from '../render/table.js';
import { paint } from '../render/terminal.js';
import { SKIP_REASONS, type ClaudeCodeUsage, type SkipReason } from '@drawdown/core/claude-logs';
import type { ObservedRange } from './observed.js';
import type { ZeroConfigView } from './view.js';

export type ZeroConfigSection = 'usage' | 'plan' | 'pools' | 'next';

const skipWords: Record<SkipReason, string> = {
  garbage: 'not JSON',
  truncated: 'cut short',
  absurd: 'refused: impossible token count',
  malformed: 'usage without model or time',
};
const plural = (n: number, word: string): string => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;

/** What the reader left out and why, and how sure the prices are: one sentence each, only when there is something to say. */
function usageNotes(usage: ClaudeCodeUsage, term: View): string[] {
  const skipped = SKIP_REASONS.filter((r) => usage.skipped[r] > 0);
  const skippedTotal = skipped.reduce((sum, r) => sum + usage.skipped[r], 0);
  const share = usage.total > 0 ? Math.round((usage.unconfirmed.cost / usage.total) * 100) : 0;
  return [
    usage.duplicates > 0
      ? `${plural(usage.duplicates, 'repeated log line')} (one per streamed content block, or copied on resume) counted once.`
      : '',
    skippedTotal > 0
      ? `Skipped ${plural(skippedTotal, 'log line')}: ${skipped.map((r) => `${formatCount(usage.skipped[r])} ${skipWords[r]}`).join(', ')}.`
      : '',
    usage.unconfirmed.cost > 0
      ? `[U] ${formatUsd(usage.unconfirmed.cost, term.usd)} of ${formatUsd(usage.total, term.usd)} (${share < 1 ? '<1' : share}%) rests on unconfirmed prices (${usage.unconfirmed.models.join(', ')}).`
      : '',
    usage.metered.requests > 0
      ? `${plural(usage.metered.requests, 'call')} (${formatUsd(usage.metered.cost, term.usd)}) metered by drawdown left out here: the ledger counts them.`
      : '',
    ...usage.unpriced.map(
      (u) => `${u.model}: ${plural(u.requests, 'call')} unpriced, not counted as $0 (${u.reason}).`,
    ),
  ].filter(Boolean);
}

/** Claude Code's spend by day and model; unpriced models say so instead of $0, unconfirmed prices carry [U]. */
export function renderClaudeUsage(usage: ClaudeCodeUsage, term: View): string {
  if (usage.rows.length === 0) {
    const none =
      usage.files === 0
        ? `No Claude Code session logs found (looked in ${usage.dirs.map((d) => `${d}/projects`).join(', ')}).`
        : 'Claude Code made no API calls in this range.';
    return [none, ...usageNotes(usage, term)].map((n) => fitText(n, term)).join('\n');
  }
  // Priced rows in cents that add up to the printed total (unpriced rows count for nothing).
  const costs = amountColumn(
    usage.rows.map((row) => row.cost ?? 0),
    usage.total,
    term.usd ?? 'cents',
  );
  const cost = (amount: string | undefined, unconfirmed: number): string =>
    amount === undefined ? 'unpriced' : `${amount}${unconfirmed > 0 ? ' [U]' : ''}`;
  const tokens = (row: {
    inputTokens: number;
    outputTokens: number;
    cacheReadTokens: number;
    cacheWriteTokens: number;
  }) => [
    formatCount(row.inputTokens),
    formatCount(row.outputTokens),
    formatCount(row.cacheReadTokens + row.cacheWriteTokens),
  ];
  const sum = usage.rows.reduce(
    (acc, row) => ({
      inputTokens: acc.inputTokens + row.inputTokens,
      outputTokens: acc.outputTokens + row.outputTokens,
      cacheReadTokens: acc.cacheReadTokens + row.cacheReadTokens,
      cacheWriteTokens: acc.cacheWriteTokens + row.cacheWriteTokens,
    }),
    { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
  );
  const table = renderTable(
    [
      { header: 'Day' },
      { header: 'Model', shrink: 'truncate' },
      { header: 'Calls', align: 'right' },
      { header: 'Input', align: 'right' },
      { header: 'Output', align: 'right' },
      { header: 'Cache', align: 'right' },
      { header: 'Cost', align: 'right' },
    ],
    usage.rows.map((row, i) => [
      row.day,
      row.model,
      formatCount(row.requests),
      ...tokens(row),
      cost(row.cost === undefined ? undefined : costs.cells[i], row.unconfirmedCost),
    ]),
    [
      'Total',
      '',
      formatCount(usage.requests),
      ...tokens(sum),
      usage.unpriced.length === 0
        ? cost(costs.total, usage.unconfirmed.cost)
        : usage.total === 0
          ? 'unpriced'
          : `${cost(costs.total, usage.unconfirmed.cost)}+`,
    ],
    { ...(term.width !== undefined && { maxWidth: term.width }) },
  );
  const notes = usageNotes(usage, term);
  return [table, ...notes.map((n) => fitText(n, term))].join('\n');
}

/** The zero-configuration screen: Claude Code's spend, plan windows, credentials, next steps. */
export function renderZeroConfig(
  view: ZeroConfigView,
  term: View,
  sections: ZeroConfigSection[] = ['usage', 'plan', 'pools', 'next'],
): string {
  const out: string[] = [];
  const heading = (text: string): void => void out.push(paint(term, 'bold', fitText(text, term)));
  if (sections.includes('usage')) out.push(renderObserved(view.claudeCode, view, term), '');
  if (sections.includes('plan')) {
    heading('Plan windows');
    const last = view.planWindows.lastLimitMessage;
    if (last)
      out.push(
        fitText(
          `Last limit message (${new Date(last.at).toISOString().slice(0, 16).replace('T', ' ')} UTC): ${last.text}`,
          term,
        ),
      );
    out.push(fitText(view.planWindows.note, term), '');
  }
  if (sections.includes('pools')) {
    const { credentials } = view;
    heading('Which pool pays');
    const apiKey = credentials.apiKeyTools
      ? `A tool that reads ANTHROPIC_API_KEY (Cursor, scripts, SDK apps) draws ${credentials.apiKeyTools.pool}.`
      : 'ANTHROPIC_API_KEY is not set here: a tool that needs it has nothing to draw from.';
    const claude = credentials.claudeCode
      ? `Claude Code started here uses ${credentials.claudeCode.source} and draws ${credentials.claudeCode.pool}.`
      : 'Claude Code started here has no credential yet (sign in with /login for the plan allowance).';
    out.push(fitText(apiKey, term), fitText(claude, term));
    if (credentials.baseUrl !== undefined)
      out.push(fitText(`ANTHROPIC_BASE_URL sends requests to ${credentials.baseUrl}.`, term));
    out.push(
      renderTable(
        [
          { header: 'Credential (Claude Code order)', shrink: 'truncate' },
          { header: 'Set' },
          { header: 'Pool it draws', shrink: 'wrap' },
        ],
        credentials.sources.map((s) => [s.source, s.present ? 'yes' : 'no', s.pool]),
        undefined,
        { ...(term.width !== undefined && { maxWidth: term.width }) },
      ),
      '',
    );
  }
  if (sections.includes('next')) {
    heading('No drawdown configuration yet. For pools, budgets and routing:');
    out.push(...view.nextSteps.map((s) => `  ${s}`));
  }
  return out.join('\n').trimEnd();
}

/** The observed section of `status` and `report` beside the metered pools, labelled as such. */
export function renderObserved(usage: ClaudeCodeUsage, range: ObservedRange, term: View): string {
  const heading = `Claude Code on this machine, ${range.fromDay} to ${range.toDay} (${range.timeZone}), at API prices: observed from its logs, not enforced`;
  return `${paint(term, 'bold', fitText(heading, term))}\n\n${renderClaudeUsage(usage, term)}`;
}
