import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usd } from '@drawdown/core';
import { assertConserved, claudeCodeEnv, replies, startAnthropicServer, type AnthropicServer } from '@drawdown/testkit';
import { claudeBinary, freshHome } from '../claude-code.js';
import type { DrawdownConfig } from '../../src/config/types.js';
import { useProject } from '../project.js';
import { binPath, runDrawdown, tsxLoader } from '../run-cli.js';

const ttyAgent = fileURLToPath(new URL('../fixtures/tty-agent.mjs', import.meta.url));

const config: DrawdownConfig = {
  timeZone: 'UTC',
  store: { kind: 'sqlite', file: 'ledger.sqlite' },
  strategies: { bundled: { kind: 'apiKey', envVar: 'APP_TRIAL_KEY' } },
  pools: { trial: { kind: 'budget', amount: '10' } },
  route: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }],
};

/** Shell-quotes one argument for `script -c`. */
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Runs the real drawdown CLI inside a pseudo-terminal (util-linux `script`), as from an interactive shell. */
function runInTerminal(
  args: string[],
  options: { cwd: string; env: Record<string, string | undefined>; typeWhen?: { ready: () => boolean; text: string } },
): Promise<{ code: number | null; output: string }> {
  const line = [process.execPath, '--conditions=drawdown-source', '--import', tsxLoader, binPath, ...args]
    .map(quote)
    .join(' ');
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, NO_COLOR: '1', ...options.env }))
      if (value !== undefined) env[key] = value;
    const child = spawn('script', ['-qec', line, '/dev/null'], {
      cwd: options.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    // Type into the terminal once the agent has done what we wait for (the screen draws words with
    // cursor moves, so the test watches the server instead of the screen).
    const typing = options.typeWhen
      ? setInterval(() => {
          if (!options.typeWhen!.ready()) return;
          clearInterval(typing);
          setTimeout(() => child.stdin.end(options.typeWhen!.text), 2_000);
        }, 200)
      : undefined;
    // A terminal program that never ends would hang the test: stop it, and show what it drew.
    const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const onData = (chunk: string) => void (output += chunk);
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(typing);
      clearTimeout(guard);
      resolve({ code, output: output.replace(/\r\n/g, '\n') });
    });
    if (!options.typeWhen) child.stdin.end();
  });
}

/**
 * The real Claude Code CLI (2.1.332) under `drawdown run`, against the testkit's loopback server.
 * In a terminal it keeps the terminal and is metered from its own OpenTelemetry events; each run is
 * charged exactly the rate card's price of the usage the server reported.
 */
describe('drawdown run with the real Claude Code CLI conserves money', () => {
  const KEY = 'sk-ant-bundled-trial-key-run-test-0001';
  let server: AnthropicServer;
  beforeAll(async () => {
    server = await startAnthropicServer({
      credentials: { bundled: KEY },
      fallback: () =>
        replies.message({
          text: 'Hello from the loopback server.',
          usage: {
            input_tokens: 2_400,
            output_tokens: 90,
            cache_read_input_tokens: 1_000,
            cache_creation_input_tokens: 3_000,
            cache_creation: { ephemeral_5m_input_tokens: 1_000, ephemeral_1h_input_tokens: 2_000 },
          },
        }),
    });
  });
  afterAll(() => server.close());

  /**
   * Asserts the project's ledger charges every request the server billed since `before` once, at
   * its rate-card price (the tests share one server); returns the billed total.
   */
  const conserved = async (project: ReturnType<typeof useProject>, before: Set<string>) =>
    (
      await project.withHub((hub) =>
        assertConserved({ billing: server.billing.filter((b) => !before.has(b.requestId)), store: hub.store }),
      )
    ).billed;
  /** What the project's ledger holds. */
  const spent = async (project: ReturnType<typeof useProject>) =>
    JSON.parse((await runDrawdown(['report', '--by', 'pool', '--json'], { cwd: project.dir })).stdout) as {
      totalUsd: string;
      rows: Array<{ requests: number }>;
    };

  it('keeps the terminal for a child started from one, and meters it from its telemetry', async () => {
    const project = useProject(config);
    const { home, work } = freshHome();
    const env = { ...claudeCodeEnv({ baseUrl: server.url, home }), APP_TRIAL_KEY: KEY };
    const before = new Set(server.requests.map((r) => r.requestId));
    const tty = await runInTerminal(['run', '--route', 'trial', '--', process.execPath, ttyAgent], {
      cwd: project.dir,
      env,
    });
    expect(tty.code).toBe(0);
    expect(JSON.parse(tty.output.split('\n').find((l) => l.startsWith('{'))!)).toEqual({
      stdinIsTTY: true,
      stdoutIsTTY: true,
      telemetry: '1',
    });

    const run = await runInTerminal(['run', '--route', 'trial', '--', claudeBinary, '-p', 'say hello'], {
      cwd: project.dir,
      env: { ...env, PWD: work },
    });
    expect(run.code).toBe(0);
    expect(run.output).toContain('Hello from the loopback server.');
    const calls = server.requests.filter(
      (r) => !before.has(r.requestId) && r.path === '/v1/messages' && r.reply?.status === 200,
    );
    expect(calls.length).toBeGreaterThan(0);
    expect(run.output).toContain(`drawdown: ${calls.length} API call${calls.length === 1 ? '' : 's'} charged`);
    const report = await spent(project);
    expect(usd(report.totalUsd)).toBe(await conserved(project, before));
  });

  it('leaves the full-screen Claude Code its terminal and charges its API calls from telemetry', async () => {
    const project = useProject(config);
    const { home, work } = freshHome();
    const env = {
      ...claudeCodeEnv({ baseUrl: server.url, home, apiKey: KEY, interactiveIn: work }),
      APP_TRIAL_KEY: KEY,
    };
    const before = new Set(server.requests.map((r) => r.requestId));
    // `claude "say hello"` opens the interactive prompt with a first message; `/exit` leaves it.
    const run = await runInTerminal(['run', '--route', 'trial', '--', claudeBinary, 'say hello'], {
      cwd: work,
      env: { ...env, DRAWDOWN_CONFIG: project.file },
      typeWhen: {
        ready: () =>
          server.requests.some((r) => !before.has(r.requestId) && r.path === '/v1/messages' && r.reply?.status === 200),
        text: '/exit\r',
      },
    });
    expect(run.output, run.output).toContain('Resume this session with');
    expect(run.code).toBe(0);
    const calls = server.requests.filter(
      (r) => !before.has(r.requestId) && r.path === '/v1/messages' && r.reply?.status === 200,
    );
    expect(calls.length).toBeGreaterThan(0);
    expect(run.output).toMatch(/drawdown: \d+ API calls? charged \$[\d.]+ to trial \(route trial\)/);
    expect(usd((await spent(project)).totalUsd)).toBe(await conserved(project, before));
  });

  it('meters a child whose stdout is not stream-json from its telemetry when asked, once per API call', async () => {
    const project = useProject(config);
    const { home } = freshHome();
    const env = { ...claudeCodeEnv({ baseUrl: server.url, home }), APP_TRIAL_KEY: KEY };
    const before = new Set(server.requests.map((r) => r.requestId));
    const result = await runDrawdown(
      ['run', '--route', 'trial', '--meter-from', 'telemetry', '--json', '--', claudeBinary, '-p', 'say hello'],
      { cwd: project.dir, env },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Hello from the loopback server.');
    const calls = server.requests.filter(
      (r) => !before.has(r.requestId) && r.path === '/v1/messages' && r.reply?.status === 200,
    );
    const summary = JSON.parse(result.stderr.trim().split('\n').at(-1)!) as {
      source: string;
      turns: number;
      charged: number;
    };
    expect(summary).toMatchObject({
      source: 'telemetry',
      turns: calls.length,
      charged: await conserved(project, before),
    });
    expect(usd((await spent(project)).totalUsd)).toBe(await conserved(project, before));
  });

  it('meters the same run from stream-json when stdout is piped, at the same price', async () => {
    const project = useProject(config);
    const { home } = freshHome();
    const env = { ...claudeCodeEnv({ baseUrl: server.url, home }), APP_TRIAL_KEY: KEY };
    const before = new Set(server.requests.map((r) => r.requestId));
    const result = await runDrawdown(
      ['run', '--route', 'trial', '--', claudeBinary, '-p', 'say hello', '--output-format', 'stream-json', '--verbose'],
      { cwd: project.dir, env },
    );
    expect(result.code).toBe(0);
    const _calls = server.requests.filter(
      (r) => !before.has(r.requestId) && r.path === '/v1/messages' && r.reply?.status === 200,
    );
    expect(result.stderr).toMatch(/^drawdown: 1 turn charged \$[\d.]+ to trial \(route trial\)\n$/);
    expect(usd((await spent(project)).totalUsd)).toBe(await conserved(project, before));
  });

  it('says nothing was charged after a failed turn, instead of "charged $0.00"', async () => {
    const project = useProject(config);
    const { home } = freshHome();
    const env = { ...claudeCodeEnv({ baseUrl: server.url, home }), APP_TRIAL_KEY: KEY };
    const before = new Set(server.requests.map((r) => r.requestId));
    // The API refuses every attempt (400 is not retried): the turn fails and costs nothing.
    server.enqueue(replies.creditTooLow());
    const result = await runDrawdown(
      ['run', '--route', 'trial', '--', claudeBinary, '-p', 'say hello', '--output-format', 'stream-json', '--verbose'],
      { cwd: project.dir, env },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toMatch(/charged \$0\.00/);
    expect(result.stderr).toContain('drawdown: nothing charged to trial: 1 turn reported no new spend');
    expect((await spent(project)).totalUsd).toBe('0');
    expect(await conserved(project, before)).toBe(0);
  });
});
