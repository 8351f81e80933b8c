import { readFileSync } from 'node:fs';
import {
  API_CREDENTIAL_VARS,
  PROVIDER_SWITCH_VARS,
  defaultRateCard,
  parseRateLimitHeaders,
  toDecimalString,
  USER_OAUTH_TOKEN_VAR,
} from '@drawdown/core';

/** What the demo's child agent needs from its environment (none of it a secret). */
export const DEMO_SIGN_IN_VAR = 'DRAWDOWN_DEMO_SIGN_IN_FILE';
export const DEMO_CHILD_MODEL = 'claude-sonnet-4-5';

const print = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);

/**
 * The child agent of the demo's personal mode, standing in for Claude Code signed in with the
 * user's own login: it reads its own sign-in (a file, as Claude Code does), calls the Messages API
 * at ANTHROPIC_BASE_URL with it, and reports in the Agent SDK's stream-json: an init message, a
 * `rate_limit_event` per response (the plan-limit headers), a cumulative `result` per turn.
 */
export async function demoChildAgent(env: NodeJS.ProcessEnv, prompts: string[]): Promise<number> {
  const session = `demo-${process.pid}`;
  const credentialVars = [...API_CREDENTIAL_VARS, ...PROVIDER_SWITCH_VARS, USER_OAUTH_TOKEN_VAR].filter(
    (name) => env[name],
  );
  print({
    type: 'system',
    subtype: 'init',
    session_id: session,
    model: DEMO_CHILD_MODEL,
    credentialVars,
    auth: 'own sign-in',
  });
  const signIn = (JSON.parse(readFileSync(env[DEMO_SIGN_IN_VAR]!, 'utf8')) as { token: string }).token;
  const totals = { input: 0, output: 0, cost: 0 };
  for (const [index, prompt] of prompts.entries()) {
    const response = await fetch(`${env.ANTHROPIC_BASE_URL}/v1/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${signIn}`,
        'anthropic-beta': 'oauth-2025-04-20',
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: DEMO_CHILD_MODEL,
        max_tokens: 8192,
        messages: [{ role: 'user', content: prompt }],
      }),
    });
    const unified = parseRateLimitHeaders(response.headers).unified;
    if (unified) {
      const binding = unified.windows.find((w) => w.kind === unified.representativeClaim) ?? unified.windows[0];
      print({
        type: 'rate_limit_event',
        session_id: session,
        rate_limit_info: {
          status: unified.status,
          ...(unified.resetAt !== undefined && { resetsAt: Math.round(unified.resetAt / 1000) }),
          ...(binding && {
            rateLimitType: binding.kind,
            ...(binding.utilization !== undefined && { utilization: binding.utilization }),
          }),
        },
      });
    }
    if (!response.ok) {
      const body = (await response.json()) as { error?: { message?: string } };
      print({
        type: 'result',
        subtype: 'error_during_execution',
        is_error: true,
        session_id: session,
        uuid: `${session}-${index + 1}`,
        num_turns: index + 1,
        total_cost_usd: totals.cost,
        api_error_status: response.status,
        result: body.error?.message ?? '',
      });
      return 1;
    }
    const body = (await response.json()) as { usage: { input_tokens: number; output_tokens: number } };
    totals.input += body.usage.input_tokens;
    totals.output += body.usage.output_tokens;
    // Like the Agent SDK, the agent prices its own usage and reports the session's running total as a float.
    totals.cost = Number(
      toDecimalString(
        defaultRateCard.priceQuantities(DEMO_CHILD_MODEL, {
          inputTokens: totals.input,
          outputTokens: totals.output,
          cacheReadTokens: 0,
          cacheWrite5mTokens: 0,
          cacheWrite1hTokens: 0,
          webSearchRequests: 0,
          batch: false,
          usInference: false,
        }).total,
      ),
    );
    print({
      type: 'result',
      subtype: 'success',
      session_id: session,
      uuid: `${session}-${index + 1}`,
      num_turns: index + 1,
      total_cost_usd: totals.cost,
      modelUsage: {
        [DEMO_CHILD_MODEL]: { inputTokens: totals.input, outputTokens: totals.output, costUSD: totals.cost },
      },
    });
  }
  return 0;
}
