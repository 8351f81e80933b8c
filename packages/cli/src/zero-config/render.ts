import { formatUsd } from '@drawdown/core';
import { fitText, type View } from '../render/status.js';
import { formatCount, renderTable } from '../render/table.js';
import { paint } from '../render/terminal.js';
import type { ClaudeCodeUsage } from './claude-logs.js';
import type { ZeroConfigView } from './view.js';

export type ZeroConfigSection = 'usage' | 'plan' | 'pools' | 'next';

/** Claude Code's spend by day and model; unpriced models say so instead of $0. */
export function renderClaudeUsage(usage: ClaudeCodeUsage, term: View): string {
  if (usage.rows.length === 0) {
    return usage.files === 0
      ? `No Claude Code session logs found (looked in ${usage.dirs.map((d) => `${d}/projects`).join(', ')}).`
      : 'Claude Code made no API calls in this range.';
  }
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
    usage.rows.map((row) => [
      row.day,
      row.model,
      formatCount(row.requests),
      ...tokens(row),
      row.cost === undefined ? 'unpriced' : formatUsd(row.cost),
    ]),
    [
      'Total',
      '',
      formatCount(usage.requests),
      ...tokens(sum),
      usage.unpriced.length === 0
        ? formatUsd(usage.total)
        : usage.total === 0
          ? 'unpriced'
          : `${formatUsd(usage.total)}+`,
    ],
    { ...(term.width !== undefined && { maxWidth: term.width }) },
  );
  const notes = [
    usage.duplicates > 0
      ? `${formatCount(usage.duplicates)} repeated log line${usage.duplicates === 1 ? '' : 's'} (one per streamed content block, or copied on resume) counted once.`
      : '',
    ...usage.unpriced.map(
      (u) =>
        `${u.model}: ${formatCount(u.requests)} call${u.requests === 1 ? '' : 's'} unpriced, not counted as $0 (${u.reason}).`,
    ),
  ].filter(Boolean);
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
  if (sections.includes('usage')) {
    heading(`Claude Code on this machine, ${view.fromDay} to ${view.toDay} (${view.timeZone}), at API prices`);
    out.push('', renderClaudeUsage(view.claudeCode, term), '');
  }
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
