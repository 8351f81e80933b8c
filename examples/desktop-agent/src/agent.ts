import { spawn } from 'node:child_process';
import { apiKey, budget, createHub, isFundablePool, usd, type Hub } from '@drawdown/core';
import { createAgentSdkMeter, meterAgentOutput, type AgentObservation } from '@drawdown/core/agent-sdk';
import { createMeteredClient } from '@drawdown/core/anthropic';
import { credits, manualProvider } from '@drawdown/plugin-credits';
import { delegated, planAllowance } from '@drawdown/plugin-oauth';
import { sqliteStore } from '@drawdown/store-sqlite';

export interface DesktopAgentOptions {
  /** The ledger; every process of the app (and `drawdown status`) shares it. */
  ledgerFile: string;
  /** This install's trial key from the app's server: a drawdown key, never an Anthropic key. */
  trialKey: string;
  /** The app server's gateway, which holds the Anthropic key and the trial's budget. */
  gatewayURL: string;
  /** API cost the trial covers per user. Default "10.00". */
  trialAmount?: string;
  /** The Messages API for the user's own key and agent (a loopback server in tests). Default: Anthropic's. */
  baseURL?: string;
  /** Where the user's own API key is, for credits. Default ANTHROPIC_API_KEY. */
  creditsKeyVar?: string;
  /** How to start the user's own signed-in agent for a prompt. Default: Claude Code in print mode. */
  childCommand?: (prompt: string) => string[];
  /** Environment the app runs in (the child's starts from it). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Each stream-json message of a child agent, as the meter saw it. */
  onChildMessage?: (message: unknown, observation: AgentObservation) => void;
}

export interface Answer {
  /** Route entry that paid: trial, personal or credits. */
  entry: string;
  text?: string;
  /** Exit code of the child agent, for answers given in personal mode. */
  exitCode?: number;
}

const claudeCode = (prompt: string) => ['claude', '-p', prompt, '--output-format', 'stream-json', '--verbose'];

/** The app's drawdown set-up: trial through the app server's gateway → the user's own sign-in → credits, if the user opts in. */
export async function createDesktopAgent(options: DesktopAgentOptions) {
  const env = options.env ?? process.env;
  const hub: Hub = await createHub({
    store: sqliteStore({ file: options.ledgerFile }),
    plugins: [
      // The trial key only works at the app server's gateway, which enforces its $10 whatever this
      // app does; the local budget mirrors it so the app knows when to move on to personal mode.
      apiKey({ id: 'trial-key', key: options.trialKey }),
      budget({ id: 'trial', amount: options.trialAmount ?? '10.00', label: 'trial' }),
      // A custom Messages API (a gateway, or the loopback server in tests) serves the signed-in child too;
      // otherwise the child's own Claude Code talks to Anthropic with the user's login.
      delegated({ id: 'claude-login', keepBaseUrl: options.baseURL !== undefined }),
      planAllowance({ id: 'plan' }),
      apiKey({ id: 'own-key', envVar: options.creditsKeyVar ?? 'ANTHROPIC_API_KEY', environment: env }),
      credits({ id: 'credits', provider: manualProvider(), autoReload: { threshold: '5.00', amount: '20.00' } }),
    ],
    route: {
      entries: [
        { id: 'trial', strategy: 'trial-key', pool: 'trial' },
        { id: 'personal', strategy: 'claude-login', pool: 'plan' },
        { id: 'credits', strategy: 'own-key', pool: 'credits' },
      ],
    },
  });
  // The trial goes through the gateway; the user's own key goes straight to the API.
  const trialClient = createMeteredClient({ hub, baseURL: options.gatewayURL });
  const ownKeyClient = createMeteredClient({ hub, ...(options.baseURL !== undefined && { baseURL: options.baseURL }) });

  /** Personal mode: the user's own agent runs with no key in its environment; its turns are metered to the plan. */
  async function askSignedInAgent(entry: string, prompt: string): Promise<Answer> {
    const [command, ...args] = (options.childCommand ?? claudeCode)(prompt) as [string, ...string[]];
    const child = spawn(command, args, {
      env: hub.childEnv(entry, env) as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number>((resolve, reject) =>
      child.once('error', reject).once('close', (code) => resolve(code ?? 1)),
    );
    const meter = createAgentSdkMeter({ hub, entry });
    await meterAgentOutput(child.stdout, meter, {
      ...(options.onChildMessage && { onMessage: options.onChildMessage }),
    });
    return { entry, exitCode: await exited };
  }

  return {
    hub,
    /** Answers a prompt from whichever pool the route says pays now. */
    async ask(prompt: string, model = 'claude-sonnet-4-5', maxTokens = 1024): Promise<Answer> {
      const next = (await hub.router.explain()).next;
      if (next && hub.strategy(next.strategyId).kind === 'delegated') return askSignedInAgent(next.entryId, prompt);
      // The trial key is only good at the gateway: a trial request goes there and nowhere else.
      const trial = next?.entryId === 'trial';
      const { data, drawdown } = await (trial ? trialClient : ownKeyClient).messages
        .create(
          { model, max_tokens: maxTokens, messages: [{ role: 'user', content: prompt }] },
          trial ? { drawdown: { entry: 'trial' } } : {},
        )
        .withResponse();
      const text = data.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      return { entry: drawdown.entryId, text };
    },
    /** The user said yes to "use my credits when my plan is spent". */
    optInToCredits: () => hub.router.optIn('credits'),
    async addCredits(amount: string, orderId: string) {
      const pool = hub.pool('credits');
      if (isFundablePool(pool)) await pool.addFunds({ amount: usd(amount), idempotencyKey: orderId });
    },
    async close() {
      await hub.close();
      await hub.store.close();
    },
  };
}
