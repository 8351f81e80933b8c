import { afterEach, describe, expect, it } from 'vitest';
import { createRateCard, usd } from '@drawdown/core';
import {
  ADAPTER_BIN,
  cancel,
  initialize,
  newSession,
  prompt,
  promptText,
  quiet,
  startBillingLoopback,
  withAcpClient,
  type ScriptedUsage,
} from '../../../acp/test/harness.js';
import { acpProject } from './acp-project.js';

const card = createRateCard();

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(trial: string, plan: Parameters<typeof startBillingLoopback>[0]) {
  const loopback = await startBillingLoopback(plan);
  const acp = acpProject(loopback.server, trial);
  cleanups.push(
    () => loopback.server.close(),
    () => acp.project.remove(),
  );
  return { ...loopback, ...acp, command: acp.drawdown('acp', '--route', 'trial', '--', process.execPath, ADAPTER_BIN) };
}

// Opus 5.5 ($4 in, $20 out per million): a turn of 1,200 in / 80 out, background calls of 2,000 in / 100 out.
const SIDE: ScriptedUsage = { input_tokens: 2_000, output_tokens: 100 };

describe('drawdown acp conserves money: the ledger is what the upstream billed', () => {
  it('charges every call once — turns, and the session title and prompt suggestion after each turn, the last one included', async () => {
    const { server, billed, home, shell, command, project, ledger, conserved } = await setup('10', {
      turns: {
        a: { input_tokens: 1_200, output_tokens: 80, cache_read_input_tokens: 3_000 },
        b: { input_tokens: 900, output_tokens: 40 },
      },
      side: SIDE,
    });
    const run = await withAcpClient(
      command,
      shell,
      async ({ ctx, child }) => {
        await initialize(ctx);
        const sessionId = await newSession(ctx, home);
        await prompt(ctx, sessionId, 'a');
        await quiet(server);
        await prompt(ctx, sessionId, 'b');
        // Claude Code's background calls after the last turn run before the client hangs up.
        await quiet(server);
        child.stdin.end();
      },
      { cwd: project.dir },
    );
    expect((await run.exit).code).toBe(0);
    const log = billed();
    expect(log.filter((b) => b.kind === 'side').length).toBeGreaterThanOrEqual(2);
    const { billed: total } = await conserved(log);
    const { spent, held, keys } = await ledger();
    expect(spent).toBe(total);
    expect(held).toBe(0);
    // Each billed request once, under its own request id.
    expect(keys.filter((k) => k.startsWith('claude-code:')).sort()).toEqual(
      log.map((b) => `claude-code:${b.requestId}`).sort(),
    );
  });

  it('charges the call a cancelled prompt aborted, as the upstream billed it (its message_start usage)', async () => {
    const { server, billed, home, shell, command, project, ledger, conserved } = await setup('10', {
      turns: { a: { input_tokens: 1_200, output_tokens: 80 } },
      side: SIDE,
      stall: { input_tokens: 50_000, output_tokens: 400 },
    });
    const run = await withAcpClient(
      command,
      shell,
      async ({ ctx, child, received }) => {
        await initialize(ctx);
        const sessionId = await newSession(ctx, home);
        await prompt(ctx, sessionId, 'a');
        await quiet(server);
        const running = promptText(ctx, sessionId, 'Think long about this. [[stall]]');
        // The adapter has reported the call's start (its context: 50,000 input tokens and 1 output token) to the client.
        const reportedStart = () =>
          received.some((m) => (m as { params?: { update?: { used?: number } } }).params?.update?.used === 50_001);
        for (let i = 0; i < 600 && !reportedStart(); i++) await new Promise((r) => setTimeout(r, 100));
        await cancel(ctx, sessionId);
        const answer = await running;
        await quiet(server);
        child.stdin.end();
        return answer.stopReason;
      },
      { cwd: project.dir },
    );
    expect(run.value).toBe('cancelled');
    expect((await run.exit).code).toBe(0);
    const log = billed();
    const abortedCall = log.find((b) => b.kind === 'aborted')!;
    // Billed at what message_start reported: 50,000 input tokens and 1 output token at Opus 5.5, $0.20002.
    expect(abortedCall.complete).toBe(false);
    expect(card.price(abortedCall.model, abortedCall.usage).total).toBe(usd('0.20002'));
    const { billed: total } = await conserved(log);
    const { spent, held } = await ledger();
    expect(spent).toBe(total);
    expect(held).toBe(0);
  });

  it('ends a $0.75 trial within one request of its budget and answers the next prompt with the reason', async () => {
    // Each turn is one call of 75,000 in / 500 out: $0.31.
    const turn: ScriptedUsage = { input_tokens: 75_000, output_tokens: 500 };
    const turns = Object.fromEntries(['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((n) => [n, turn]));
    const { server, billed, home, shell, command, project, ledger, conserved } = await setup('0.75', {
      turns,
      side: SIDE,
    });
    const run = await withAcpClient(
      command,
      shell,
      async ({ ctx, child }) => {
        await initialize(ctx);
        const sessionId = await newSession(ctx, home);
        const outcomes: string[] = [];
        let refusal: { message?: string; data?: { code?: string; cause?: string } } | undefined;
        for (const name of Object.keys(turns)) {
          try {
            outcomes.push((await prompt(ctx, sessionId, name)).stopReason);
            await quiet(server);
          } catch (error) {
            refusal = error as typeof refusal;
            outcomes.push('refused');
            break;
          }
        }
        child.stdin.end();
        return { outcomes, refusal };
      },
      { cwd: project.dir },
    );
    expect((await run.exit).code).toBe(0);
    const { outcomes, refusal } = run.value;
    expect(outcomes.at(-1)).toBe('refused');
    expect(outcomes.slice(0, -1).every((o) => o === 'end_turn')).toBe(true);
    // The client is shown why: the pool and its limit.
    expect(refusal?.message).toMatch(/trial/);
    expect(refusal?.message).toContain('$0.75');
    expect(refusal?.data).toMatchObject({ code: 'DRAWDOWN_ACP_PROMPT_REFUSED', cause: 'DRAWDOWN_ROUTE_EXHAUSTED' });
    // The refused prompt never reached the upstream.
    const log = billed();
    expect(log.filter((b) => b.kind === 'turn')).toHaveLength(outcomes.length - 1);
    const { billed: total } = await conserved(log);
    const { spent, held } = await ledger();
    expect(spent).toBe(total);
    expect(held).toBe(0);
    // Within one request of the budget: what went over is less than the largest single call.
    const largest = Math.max(...log.map((b) => card.price(b.model, b.usage).total));
    expect(spent).toBeGreaterThan(usd('0.75'));
    expect(spent - usd('0.75')).toBeLessThan(largest);
    expect(run.stderr()).toContain('prompt refused');
  });
});
