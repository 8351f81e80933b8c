import { localDate } from '@drawdown/core';
import { claudeConfigDirs, type ClaudeCodeUsage } from '@drawdown/core/claude-logs';
import { shiftDay } from '../days.js';
import { readCredentials, type CredentialView } from './credentials.js';
import { claudeUsageJson, readObserved } from './observed.js';

/** What Claude Code last said about the plan windows, and where the numbers can come from. */
export interface PlanWindowsView {
  /** Whether Claude Code's files held any plan-window reading. */
  recorded: boolean;
  /** Its latest limit message from the session logs ("You've hit your session limit · resets 3pm"). */
  lastLimitMessage?: { text: string; at: number };
  note: string;
}

/**
 * What is true on this machine without any drawdown configuration: Claude Code's own spend at API
 * prices, what it said about plan windows, and which pools tools here would draw from. Plain data,
 * so the CLI, the MCP server and tests use the same view.
 */
export interface ZeroConfigView {
  mode: 'zero-config';
  at: number;
  timeZone: string;
  fromDay: string;
  toDay: string;
  claudeCode: ClaudeCodeUsage;
  planWindows: PlanWindowsView;
  credentials: CredentialView;
  /** Where a configuration was looked for, when the caller knows. */
  searched?: string[];
  /** What to do to get pools, budgets and routing. */
  nextSteps: string[];
}

export interface ZeroConfigOptions {
  env: NodeJS.ProcessEnv;
  now?: number;
  /** Default: DRAWDOWN_TIME_ZONE, else the machine's zone. */
  timeZone?: string;
  /** Range of local days; default the last `days` (7) days up to today. */
  fromDay?: string;
  toDay?: string;
  days?: number;
  searched?: string[];
}

/** The machine's IANA time zone (what `config init --global` writes, and what zero-config days use). */
export function localTimeZone(env: NodeJS.ProcessEnv = process.env): string {
  return env.DRAWDOWN_TIME_ZONE || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

// Verified against Claude Code 2.1.332 run with unified rate-limit headers (API key and OAuth token):
// it writes no plan-window reading (utilization, reset) to ~/.claude.json or the session logs; it
// hands them to a statusLine command on stdin (`rate_limits.five_hour`, `seven_day`) while it runs.
// When a window refuses, it logs a synthetic assistant line ("You've hit your 5-hour limit · resets
// 4:14pm (UTC)"), which the view shows as the last limit message.
const PLAN_NOTE =
  'Claude Code keeps no plan-window readings in its files (it shows them to a statusLine command while it runs, and logs only a message when a window refuses). To track them, run the agent through "drawdown run" with a planAllowance pool: see "drawdown config init --profile desktop-app".';

export async function zeroConfigView(options: ZeroConfigOptions): Promise<ZeroConfigView> {
  const at = options.now ?? Date.now();
  const timeZone = options.timeZone ?? localTimeZone(options.env);
  const toDay = options.toDay ?? localDate(at, timeZone);
  const fromDay = options.fromDay ?? shiftDay(toDay, 1 - (options.days ?? 7));
  const claudeCode = await readObserved(options.env, { timeZone, fromDay, toDay });
  const credentials = readCredentials(options.env, claudeConfigDirs(options.env));
  const planWindows: PlanWindowsView = {
    recorded: claudeCode.lastLimitMessage !== undefined,
    ...(claudeCode.lastLimitMessage && { lastLimitMessage: claudeCode.lastLimitMessage }),
    note: PLAN_NOTE,
  };
  const nextSteps = [
    'drawdown config init --global   (pick a profile: desktop-app, api-key or team)',
    'drawdown report --days 30       (Claude Code spend over a longer range)',
  ];
  return {
    mode: 'zero-config',
    at,
    timeZone,
    fromDay,
    toDay,
    claudeCode,
    planWindows,
    credentials,
    ...(options.searched && { searched: options.searched }),
    nextSteps,
  };
}

/** The view as JSON: every cost also as an exact decimal string, unpriced costs as null (never 0). */
export function zeroConfigJson(view: ZeroConfigView): unknown {
  return {
    ...view,
    atIso: new Date(view.at).toISOString(),
    claudeCode: claudeUsageJson(view.claudeCode, { fromDay: view.fromDay, toDay: view.toDay, timeZone: view.timeZone }),
  };
}
