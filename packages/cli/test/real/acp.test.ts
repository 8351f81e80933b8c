import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { usd } from '@drawdown/core';
import {
  ADAPTER_BIN,
  initialize,
  KEYS,
  newSession,
  prompt,
  startLoopback,
  withAcpClient,
  type ScriptedUsage,
} from '../../../acp/test/harness.js';
import { runDrawdown } from '../run-cli.js';
import { acpProject } from './acp-project.js';

const recorder = fileURLToPath(new URL('../fixtures/acp-recorder.mjs', import.meta.url));

const USAGE: Record<string, ScriptedUsage> = {
  a: { input_tokens: 1200, output_tokens: 80, cache_read_input_tokens: 3000, cache_creation_input_tokens: 500 },
  b: { input_tokens: 900, output_tokens: 40 },
  c: { input_tokens: 700, output_tokens: 30 },
};

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(extra?: Parameters<typeof startLoopback>[1]) {
  const loopback = await startLoopback(USAGE, extra);
  const acp = acpProject(loopback.server, '10');
  cleanups.push(
    () => loopback.server.close(),
    () => acp.project.remove(),
  );
  return { ...loopback, ...acp, trialSpent: acp.trialStatus };
}

const kinds = (received: unknown[]) =>
  received.map((m) => {
    const msg = m as {
      method?: string;
      id?: unknown;
      params?: { update?: { sessionUpdate?: string } };
      result?: unknown;
      error?: unknown;
    };
    return msg.method === 'session/update'
      ? `update:${msg.params?.update?.sessionUpdate}`
      : (msg.method ?? (msg.error ? 'error' : 'result'));
  });

// Each test starts the real adapter (and Claude Code under it) once or twice: budgets for a loaded machine.
describe('drawdown acp', { timeout: 180_000 }, () => {
  it('sits between a real ACP client and claude-agent-acp byte for byte and charges the session exactly to the route entry', async () => {
    const { project, home, shell, drawdown, returned, trialSpent, server, conserved } = await setup();
    const run = await withAcpClient(
      drawdown('acp', '--route', 'trial', '--', process.execPath, recorder, project.dir, process.execPath, ADAPTER_BIN),
      shell,
      async ({ ctx, child, received, bytes, sent }) => {
        await initialize(ctx);
        const sessionId = await newSession(ctx, home);
        const responses = [
          await prompt(ctx, sessionId, 'a'),
          await prompt(ctx, sessionId, 'b'),
          await prompt(ctx, sessionId, 'c'),
        ];
        // The client hangs up; drawdown ends the agent and exits.
        child.stdin.end();
        return { responses, received, bytes, sent };
      },
      { cwd: project.dir },
    );
    const exit = await run.exit;
    expect(exit.code).toBe(0);
    const { responses, received, bytes, sent } = run.value;
    expect(responses.map((r) => r.stopReason)).toEqual(['end_turn', 'end_turn', 'end_turn']);
    // Transparent: every byte the agent wrote reached the client, every byte the client wrote reached the agent.
    expect(bytes().equals(readFileSync(join(project.dir, 'agent-stdout.bin')))).toBe(true);
    expect(sent().equals(readFileSync(join(project.dir, 'agent-stdin.bin')))).toBe(true);
    expect(received.length).toBeGreaterThan(6);
    expect(kinds(received)).toContain('update:usage_update');
    // Diagnostics went to stderr only.
    expect(run.stderr()).toContain('drawdown acp: 3 prompts');
    // The agent ran with the bundled key, and the trial paid exactly the rate-card price of what the server returned.
    expect(returned.map((r) => [r.name, r.credential])).toEqual([
      ['a', 'trial'],
      ['b', 'trial'],
      ['c', 'trial'],
    ]);
    const trial = await trialSpent();
    const { billed } = await conserved(server.billing);
    expect(usd(trial.spentUsd)).toBe(billed);
    expect(JSON.stringify(trial)).not.toContain(KEYS.trial);
  });

  it('shows the client the same messages as the agent run directly', async () => {
    const { project, home, shell, drawdown } = await setup();
    const session = (command: string[], env: NodeJS.ProcessEnv) =>
      withAcpClient(
        command,
        env,
        async ({ ctx, child, received }) => {
          await initialize(ctx);
          const sessionId = await newSession(ctx, home);
          await prompt(ctx, sessionId, 'b');
          child.stdin.end();
          return received;
        },
        { cwd: project.dir },
      );
    // Directly, the agent gets the environment drawdown would give it (the bundled key as ANTHROPIC_API_KEY).
    const { CLAUDE_CODE_OAUTH_TOKEN: _signIn, APP_TRIAL_KEY: _key, ...rest } = shell;
    const direct = await session([process.execPath, ADAPTER_BIN], { ...rest, ANTHROPIC_API_KEY: KEYS.trial });
    const proxied = await session(drawdown('acp', '--route', 'trial', '--', process.execPath, ADAPTER_BIN), shell);
    expect(direct.value.length).toBeGreaterThan(0);
    // Up to the prompt's answer; what comes after it (a session title) arrives on the agent's own time.
    const untilAnswer = (received: unknown[]) => kinds(received).slice(0, kinds(received).lastIndexOf('result') + 1);
    expect(untilAnswer(proxied.value)).toEqual(untilAnswer(direct.value));
    expect(untilAnswer(direct.value)).toContain('update:usage_update');
    await proxied.exit;
  });

  it('charges what the upstream billed before the agent crashed mid-prompt, releases the hold, and passes its exit code on', async () => {
    const { project, home, shell, drawdown, returned, trialSpent, server, conserved } = await setup((name) =>
      name === 'c' ? { stream: { stallAfter: 'content_block_delta' } } : {},
    );
    const run = await withAcpClient(
      drawdown('acp', '--route', 'trial', '--', process.execPath, recorder, project.dir, process.execPath, ADAPTER_BIN),
      shell,
      async ({ ctx, received }) => {
        await initialize(ctx);
        const sessionId = await newSession(ctx, home);
        await prompt(ctx, sessionId, 'a');
        // Claude Code exports its telemetry every second: the first turn's call is reported before the crash.
        await new Promise((r) => setTimeout(r, 2500));
        const running = prompt(ctx, sessionId, 'c');
        // The agent has reported the stalled call's start (its context: 700 input tokens and 1 output token)
        // when the crash comes; a call it never reported cannot be seen by anyone but the API.
        const reportedStart = () =>
          received.some(
            (m) =>
              (m as { params?: { update?: { used?: number } } }).params?.update?.used === USAGE.c!.input_tokens + 1,
          );
        for (let i = 0; i < 600 && !reportedStart(); i++) await new Promise((r) => setTimeout(r, 100));
        process.kill(Number(readFileSync(join(project.dir, 'agent.pid'), 'utf8')), 'SIGKILL');
        await running;
        return 'answered';
      },
      { cwd: project.dir },
    );
    // The client's prompt failed with the connection.
    expect(run.value).toBeUndefined();
    expect(String(run.error)).toContain('closed');
    const exit = await run.exit;
    expect(exit.code).toBe(137);
    expect(run.stderr()).toContain('1 prompt running');
    const trial = await trialSpent();
    // The first turn, and the call the crash cut off as the API bills it: its message_start (input, one output token).
    const { billed, bills } = await conserved(server.billing);
    const cut = bills.find((b) => b.bill.requestId === returned.find((r) => r.name === 'c')!.requestId)!;
    expect([cut.bill.complete, cut.bill.usage.output_tokens]).toEqual([false, 1]);
    expect(usd(trial.spentUsd)).toBe(billed);
    expect(trial.held).toBe(0);
  });

  it('passes SIGTERM on to the agent and exits when it does, with nothing charged for an idle session', async () => {
    const { project, home, shell, drawdown, trialSpent } = await setup();
    const run = await withAcpClient(
      drawdown('acp', '--route', 'trial', '--', process.execPath, recorder, project.dir, process.execPath, ADAPTER_BIN),
      shell,
      async ({ ctx, child }) => {
        await initialize(ctx);
        await newSession(ctx, home);
        const exited = new Promise((resolve) => child.once('close', resolve));
        child.kill('SIGTERM');
        await exited;
      },
      { cwd: project.dir },
    );
    const exit = await run.exit;
    expect(exit.signal).toBeNull();
    expect(typeof exit.code).toBe('number');
    expect(run.stderr()).toContain('SIGTERM received; passing it to the agent');
    expect(usd((await trialSpent()).spentUsd)).toBe(0);
  });

  it('refuses an unknown route entry, a missing agent and an empty command, with the fix, and writes nothing to stdout', async () => {
    const { project, shell } = await setup();
    const unknown = await runDrawdown(['acp', '--route', 'nowhere', '--', process.execPath, ADAPTER_BIN], {
      cwd: project.dir,
      env: shell,
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('nowhere');
    expect(unknown.stderr).toContain('hint:');

    const missing = await runDrawdown(['acp', '--route', 'trial', '--json', '--', join(project.dir, 'no-such-agent')], {
      cwd: project.dir,
      env: shell,
    });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(missing.stderr.trim().split('\n').at(-1)!)).toMatchObject({
      code: 'DRAWDOWN_ACP_AGENT_SPAWN_FAILED',
      message: expect.stringContaining('no such command'),
      hint: expect.stringContaining('full path'),
    });

    const empty = await runDrawdown(['acp', '--route', 'trial', '--json'], { cwd: project.dir, env: shell });
    expect(empty.code).not.toBe(0);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toContain('command');
    expect(existsSync(join(project.dir, 'agent.pid'))).toBe(false);
  });
});
