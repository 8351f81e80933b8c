import { formatResetTime } from '@drawdown/core';
import type { AllowanceEvaluation, EffectiveWindow } from './windows.js';

const NAMES: Record<string, string> = {
  five_hour: 'session limit',
  seven_day: 'weekly limit',
  seven_day_opus: 'Opus weekly limit',
  seven_day_sonnet: 'Sonnet weekly limit',
  seven_day_overage_included: 'weekly limit',
  overage: 'extra usage',
};

/** What people call a window: "session limit", "weekly limit", "Opus weekly limit". */
export function windowLabel(kind: string): string {
  return NAMES[kind] ?? `${kind.replaceAll('_', ' ')} limit`;
}

const percent = (utilization: number): number => Math.min(100, Math.floor(utilization * 100 + 1e-9));

/**
 * One line the way Claude Code words it: "You've hit your session limit · resets 3pm
 * (America/Los_Angeles)", "You've used 90% of your weekly limit · resets Nov 28, 9am (...)".
 */
export function describeAllowance(
  evaluation: AllowanceEvaluation,
  timeZone: string,
  now: number,
  label: string,
): string {
  const w: EffectiveWindow | undefined = evaluation.binding;
  if (!w) return `${label}: no plan limits reported yet`;
  const resets = w.resetsAt !== undefined ? ` · resets ${formatResetTime(w.resetsAt, timeZone, now)}` : '';
  const name = windowLabel(w.kind);
  if (evaluation.state === 'exhausted')
    return w.kind === 'overage' ? `You're out of extra usage${resets}` : `You've hit your ${name}${resets}`;
  if (evaluation.state === 'low') {
    if (w.kind === 'overage') return `You're now using extra usage${resets}`;
    return w.utilization !== undefined
      ? `You've used ${percent(w.utilization)}% of your ${name}${resets}`
      : `You're close to your ${name}${resets}`;
  }
  return w.utilization !== undefined
    ? `${percent(w.utilization)}% of your ${name} used${resets}`
    : `${label}: within your ${name}${resets}`;
}
