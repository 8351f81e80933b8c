import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { formatUsd, isFundablePool, usd, type Hub } from '@drawdown/core';
import { createMeteredClient } from '@drawdown/core/anthropic';
import { replies, startAnthropicServer, unifiedRateLimitHeaders, type AnthropicServer } from '@drawdown/testkit';
import { runMeteredChild } from '../agent/child.js';
import type { DrawdownConfig } from '../config/types.js';
import { validateConfig } from '../config/validate.js';
import { openHub } from '../hub/open-hub.js';
import { renderReport } from '../render/report.js';
import { fitText, renderStatus } from '../render/status.js';
import type { Terminal } from '../render/terminal.js';
import { DEMO_CHILD_MODEL, DEMO_SIGN_IN_VAR } from './child-agent.js';
import { createTimeline } from './timeline.js';

export interface DemoOptions {
  term: Terminal;
  env: NodeJS.ProcessEnv;
  /** Call the real Messages API with ANTHROPIC_API_KEY instead of the loopback server. */
  live?: boolean;
  /** Where the ledger and the config go (an empty directory; the caller decides whether it stays). */
  dir: string;
  /** How to start this CLI again as the child agent (`[node, ...execArgv, bin]`). */
  selfCommand: string[];
}

/** Amounts of the story. Live mode scales them to what a few tiny real requests cost. */
const scale = (live: boolean) =>
  live
    ? {
        model: 'claude-haiku-4-5',
        maxTokens: 16,
        trial: '0.0003',
        credits: '0.0004',
        threshold: '0.0003',
        reload: '0.0004',
        requests: 12,
      }
    : {
        model: 'claude-opus-4-7',
        maxTokens: 64_000,
        trial: '10.00',
        credits: '10.00',
        threshold: '5.00',
        reload: '20.00',
        requests: 5,
      };

// Opus 4.7 at $5 / $25 per MTok: 80,000 in ($0.40) + 64,000 out ($1.60) = $2.00 a request, and a
// hold of exactly that (max_tokens 64,000), so five requests spend the $10 trial to the cent.
const OFFLINE_USAGE = { input_tokens: 80_000, output_tokens: 64_000 };
// The child's turns on Sonnet 4.5 ($3 / $15): 30,000 in + 6,000 out = $0.18 at API prices.
const CHILD_USAGE = { input_tokens: 30_000, output_tokens: 6_000 };
const CHILD_PROMPTS = ['Summarise the open issues', 'Draft a fix for the flaky test', 'Write the release notes'];

function demoConfig(live: boolean): DrawdownConfig {
  const s = scale(live);
  return {
    timeZone: 'UTC',
    store: { kind: 'sqlite', file: 'ledger.sqlite' },
    strategies: {
      bundled: { kind: 'apiKey', envVar: live ? 'ANTHROPIC_API_KEY' : 'DEMO_APP_BUNDLED_KEY' },
      // The simulated signed-in child reaches its loopback server through ANTHROPIC_BASE_URL.
      'claude-login': { kind: 'delegated', keepBaseUrl: true },
      'own-key': { kind: 'apiKey', envVar: live ? 'ANTHROPIC_API_KEY' : 'DEMO_USER_CREDITS_KEY' },
    },
    pools: {
      trial: { kind: 'budget', amount: s.trial, label: 'trial' },
      plan: { kind: 'planAllowance', label: 'Max plan' },
      credits: {
        kind: 'credits',
        monthlyLimit: '100.00',
        autoReload: { threshold: s.threshold, amount: s.reload, backoffMs: [200] },
      },
    },
    route: [
      { id: 'trial', strategy: 'bundled', pool: 'trial', label: 'trial' },
      { id: 'personal', strategy: 'claude-login', pool: 'plan', label: 'personal (own sign-in)' },
      { id: 'credits', strategy: 'own-key', pool: 'credits', label: 'credits' },
    ],
  };
}

/** Resolves with the first event of a kind, or rejects after `ms` with a message that names it. */
function nextEvent(hub: Hub, name: 'credits.reloaded', ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} event within ${ms / 1000} s`)), ms);
    hub.once(name, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The agent's in-process requests: the route picks the entry, the metered client pays for each. */
async function agentRequests(
  hub: Hub,
  server: AnthropicServer | undefined,
  count: number,
  live: boolean,
  stopWhen: () => Promise<boolean>,
): Promise<void> {
  const s = scale(live);
  const client = createMeteredClient({ hub, ...(server && { baseURL: server.url }), clientOptions: { maxRetries: 0 } });
  for (let i = 0; i < count; i++) {
    if (await stopWhen()) return;
    server?.enqueue(replies.message({ text: 'Done.', usage: OFFLINE_USAGE }));
    // Streaming, as the SDK asks for large max_tokens; the input was counted beforehand (count_tokens), so the hold is exact.
    const stream = client.messages.stream(
      {
        model: s.model,
        max_tokens: s.maxTokens,
        messages: [{ role: 'user', content: `Step ${i + 1} of the task: say "done".` }],
      },
      live ? {} : { drawdown: { inputTokens: OFFLINE_USAGE.input_tokens } },
    );
    await stream.finalMessage();
  }
  if (server && server.pending() > 0) server.reset();
}

const nextEntry = async (hub: Hub): Promise<string | undefined> => (await hub.router.explain()).next?.entryId;

/**
 * The story of the README: a bundled key with a trial, the switch to the user's own sign-in with a
 * child agent that carries no key, the weekly plan limit, credits after the user opted in, an
 * auto-reload — every step printed as the hub announces it, then the status and the report.
 */
export async function runDemo(options: DemoOptions): Promise<{ dir: string }> {
  const { term } = options;
  const live = options.live ?? false;
  const s = scale(live);
  const { dir } = options;
  const config = demoConfig(live);
  writeFileSync(path.join(dir, 'drawdown.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  // Made-up keys the loopback server accepts; they exist only in this process and are never printed.
  const keys = {
    bundled: `sk-ant-demo-${randomBytes(12).toString('hex')}`,
    credits: `sk-ant-demo-${randomBytes(12).toString('hex')}`,
    signIn: `demo-sign-in-${randomBytes(12).toString('hex')}`,
  };
  const signInFile = path.join(dir, 'child-sign-in.json');
  writeFileSync(signInFile, JSON.stringify({ token: keys.signIn }), { mode: 0o600 });
  const server = live
    ? undefined
    : await startAnthropicServer({
        credentials: { trial: keys.bundled, credits: keys.credits, personal: keys.signIn },
      });
  // The child agent stands in for the user's signed-in Claude Code; it always talks to a loopback server.
  const childServer = server ?? (await startAnthropicServer({ credentials: { personal: keys.signIn } }));
  const env: NodeJS.ProcessEnv = live
    ? { ...options.env }
    : { ...options.env, DEMO_APP_BUNDLED_KEY: keys.bundled, DEMO_USER_CREDITS_KEY: keys.credits };
  const loaded = {
    config: { ...config, store: { kind: 'sqlite' as const, file: path.join(dir, 'ledger.sqlite') } },
    searched: [],
    fromEnv: [],
    problems: validateConfig(config),
  };
  const hub = await openHub(loaded, { env, cwd: dir });
  const timeline = createTimeline(term);
  let unfollow = (): void => undefined;
  try {
    term.out(
      fitText(
        `drawdown demo — ${live ? 'live: the real Messages API with ANTHROPIC_API_KEY' : `offline: a loopback Anthropic API at ${childServer.url}`}; ledger ${path.join(dir, 'ledger.sqlite')}`,
        term,
      ),
    );

    timeline.step(`An agent starts on the app's bundled key with a ${formatUsd(usd(s.trial))} trial`);
    const credits = hub.pool('credits');
    if (isFundablePool(credits))
      await credits.addFunds({
        amount: usd(s.credits),
        idempotencyKey: 'demo-initial-funds',
        note: 'funds the user added earlier',
      });
    await hub.router.optIn('credits');
    timeline.say(
      `the user has ${formatUsd(usd(s.credits))} of credits and opted in to let them pay when the plan is spent`,
    );
    // Headings for steps the hub announces itself; registered first so they print above the event.
    const offPlan = hub.on(
      'pool.exhausted',
      (e) => void (e.poolId === 'plan' && timeline.step('The weekly plan limit is hit')),
    );
    const offReload = hub.on('credits.granted', () =>
      timeline.step('The balance crosses the auto-reload threshold and a reload succeeds'),
    );
    const offEvents = timeline.follow(hub);
    unfollow = () => {
      for (const off of [offPlan, offReload, offEvents]) off();
    };
    await agentRequests(hub, server, s.requests, live, async () => (await nextEntry(hub)) !== 'trial');

    timeline.step('The trial is used up: the router switches to personal mode');
    const lease = await hub.begin({ model: DEMO_CHILD_MODEL, amount: 0 });
    timeline.say(
      `next requests go to "${lease.entry.id}": strategy ${lease.entry.strategy.id} (${lease.entry.strategy.kind}), pool ${lease.pool.id}`,
    );

    timeline.step("A child agent starts with the user's own sign-in and no API key");
    if (live)
      timeline.say(
        '(the signed-in child is simulated against a loopback server even in --live mode: drawdown never uses claude.ai credentials itself)',
      );
    childServer.enqueue(
      replies.message({
        usage: CHILD_USAGE,
        headers: unifiedRateLimitHeaders({
          status: 'allowed',
          representativeClaim: 'seven_day',
          resetAt: weekEnd(),
          windows: { seven_day: { utilization: 0.71, resetAt: weekEnd() } },
        }),
      }),
      replies.message({
        usage: CHILD_USAGE,
        headers: unifiedRateLimitHeaders({
          status: 'allowed_warning',
          representativeClaim: 'seven_day',
          resetAt: weekEnd(),
          windows: { seven_day: { utilization: 0.96, resetAt: weekEnd(), surpassedThreshold: 0.9 } },
        }),
      }),
      replies.planLimit({ resetAt: weekEnd(), claim: 'seven_day' }),
    );
    const child = await runMeteredChild({
      hub,
      entry: lease.entry.id,
      argv: [...options.selfCommand, 'demo-agent', ...CHILD_PROMPTS],
      baseEnv: {
        ...env,
        ANTHROPIC_BASE_URL: childServer.url,
        [DEMO_SIGN_IN_VAR]: signInFile,
        ...(!live && { ANTHROPIC_API_KEY: keys.bundled }),
      },
      onMessage(message, observation) {
        const m = message as {
          type?: string;
          subtype?: string;
          credentialVars?: string[];
          rate_limit_info?: { status?: string; utilization?: number; rateLimitType?: string };
        };
        if (m.type === 'system' && m.subtype === 'init') {
          timeline.say(
            `child agent started; credential variables in its environment: ${m.credentialVars?.length ? m.credentialVars.join(', ') : 'none — it uses its own sign-in'}`,
          );
        } else if (m.type === 'rate_limit_event') {
          const info = m.rate_limit_info ?? {};
          timeline.say(
            `child saw plan limits: ${info.rateLimitType ?? 'plan'} window ${info.utilization !== undefined ? `${Math.round(info.utilization * 100)}% used` : ''} (${info.status})`,
          );
        } else if (observation.kind === 'turn' && observation.charge.status === 'charged') {
          timeline.say(
            `child turn charged to the plan at API prices: ${formatUsd(observation.charge.cost)} (the agent reported ${formatUsd(usd(observation.charge.reportedCostUsd))})`,
          );
        }
      },
      onMeterError: (error) =>
        timeline.say(`metering stopped: ${error instanceof Error ? error.message : String(error)}`),
    });
    await lease.release();
    timeline.say(
      `child exited with code ${child.exitCode}${child.exitCode !== 0 ? ': the plan refused its last request' : ''}`,
    );

    timeline.step('The user opted in, so credits pay');
    const reloaded = nextEvent(hub, 'credits.reloaded', 15_000);
    reloaded.catch(() => undefined);
    await agentRequests(hub, server, live ? 6 : 3, live, async () => (await nextEntry(hub)) !== 'credits');

    await reloaded;

    timeline.step('Where the money stands');
    term.out('');
    term.out(renderStatus(await hub.status(), term, `sqlite ${path.join(dir, 'ledger.sqlite')}`));
    term.out('');
    const today = new Date(hub.clock.now()).toISOString().slice(0, 10);
    const rows = await hub.report({ fromDay: today, toDay: today, groupBy: ['route', 'model'] });
    term.out(
      renderReport({ fromDay: today, toDay: today, groupBy: ['route', 'model'], timeZone: hub.timeZone, rows }, term),
    );
    return { dir };
  } finally {
    unfollow();
    await hub.close();
    await hub.store.close();
    await server?.close();
    if (childServer !== server) await childServer.close();
  }
}

/** Three days from now, in epoch seconds, as the plan-limit headers carry resets. */
function weekEnd(): number {
  return Math.floor(Date.now() / 1000) + 3 * 86_400;
}
