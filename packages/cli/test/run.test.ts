import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRateCard, usd } from '@drawdown/core';
import {
  claudeCodeEnv,
  replies,
  startAnthropicServer,
  type AnthropicServer,
  type RecordedRequest,
} from '@drawdown/testkit';
import { claudeBinary, freshHome } from './claude-code.js';
import type { DrawdownConfig } from '../src/config/types.js';
import { useProject } from './project.js';
import { binPath, runDrawdown, tsxLoader } from './run-cli.js';

const agent = fileURLToPath(new URL('./fixtures/agent.mjs', import.meta.url));
const ttyAgent = fileURLToPath(new URL('./fixtures/tty-agent.mjs', import.meta.url));

const config: DrawdownConfig = {
  timeZone: 'UTC',
  store: { kind: 'sqlite', file: 'ledger.sqlite' },
  strategies: { bundled: { kind: 'apiKey', envVar: 'APP_TRIAL_KEY' }, 'claude-login': { kind: 'delegated' } },
  pools: { trial: { kind: 'budget', amount: '10' }, plan: { kind: 'planAllowance' } },
  route: [
    { id: 'trial', strategy: 'bundled', pool: 'trial' },
    { id: 'personal', strategy: 'claude-login', pool: 'plan' },
  ],
};
const env = {
  APP_TRIAL_KEY: 'sk-ant-bundled-trial-key-9f3a',
  ANTHROPIC_API_KEY: 'sk-ant-users-own-key-77aa',
  ANTHROPIC_AUTH_TOKEN: 'tok-xyz',
};

const initLine = (stdout: string) =>
  JSON.parse(stdout.split('\n')[0]!) as { credentials: string[]; keyTail: string | null };

describe.concurrent('drawdown run', () => {
  it('starts a personal-mode child with no API key or auth token in its environment and meters its turns to the plan', async () => {
    const project = useProject(config);
    const result = await runDrawdown(['run', '--route', 'personal', '--', process.execPath, agent, '0', '2'], {
      cwd: project.dir,
      env,
    });
    expect(result.code).toBe(0);
    expect(initLine(result.stdout).credentials).toEqual([]);
    // The child's output reaches stdout unchanged, non-JSON lines included.
    expect(result.stdout).toContain('plain text line the meter skips');
    expect(result.stdout.trim().split('\n')).toHaveLength(4);
    expect(result.stderr).toContain('drawdown: 2 turns charged $0.09 to plan (route personal)');
    const report = await runDrawdown(['report', '--by', 'pool,route', '--json'], { cwd: project.dir });
    expect(JSON.parse(report.stdout)).toMatchObject({
      totalUsd: '0.09',
      rows: [{ pool: 'plan', route: 'personal', requests: 2, inputTokens: 20_000, outputTokens: 2_000 }],
    });
  });

  it("gives a trial child the bundled key, not the user's own, and charges the trial budget", async () => {
    const project = useProject(config);
    const result = await runDrawdown(['run', '--route', 'trial', '--', process.execPath, agent, '0', '1'], {
      cwd: project.dir,
      env,
    });
    expect(result.code).toBe(0);
    expect(initLine(result.stdout)).toEqual(
      expect.objectContaining({ credentials: ['ANTHROPIC_API_KEY'], keyTail: '9f3a' }),
    );
    const status = await runDrawdown(['status', '--json'], { cwd: project.dir, env });
    expect(
      (JSON.parse(status.stdout) as { pools: Array<{ id: string; spentUsd: string }> }).pools.find(
        (p) => p.id === 'trial',
      )!.spentUsd,
    ).toBe('0.045');
    expect(status.stdout).not.toContain('sk-ant-bundled-trial-key-9f3a');
  });

  it("passes the child's exit code through", async () => {
    const project = useProject(config);
    const result = await runDrawdown(['run', '--route', 'personal', '--', process.execPath, agent, '7', '0'], {
      cwd: project.dir,
      env,
    });
    expect(result.code).toBe(7);
  });

  it('charges a turn once even when the same session output is metered twice', async () => {
    const project = useProject(config);
    await runDrawdown(['run', '--route', 'personal', '--', process.execPath, agent, '0', '2'], {
      cwd: project.dir,
      env,
    });
    const second = await runDrawdown(['run', '--route', 'personal', '--', process.execPath, agent, '0', '2'], {
      cwd: project.dir,
      env,
    });
    expect(second.code).toBe(0);
    // Turns that add no spend are not announced as "charged $0.00".
    expect(second.stderr).toBe('drawdown: nothing charged to plan: 2 turns reported no new spend\n');
    const report = await runDrawdown(['report', '--by', 'pool', '--json'], { cwd: project.dir });
    expect(JSON.parse(report.stdout)).toMatchObject({ totalUsd: '0.09' });
  });

  it('leaves stdout untouched and charges nothing with --no-meter', async () => {
    const project = useProject(config);
    const result = await runDrawdown(
      ['run', '--route', 'personal', '--no-meter', '--', process.execPath, agent, '0', '1'],
      { cwd: project.dir, env },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const report = await runDrawdown(['report', '--json'], { cwd: project.dir });
    expect(JSON.parse(report.stdout)).toMatchObject({ totalUsd: '0', rows: [] });
  });

  it('fails with one line and a hint for an unknown route entry, a missing program, or no command', async () => {
    const project = useProject(config);
    const unknown = await runDrawdown(['run', '--route', 'company', '--', process.execPath, agent], {
      cwd: project.dir,
      env,
    });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(
      /^drawdown: no route entry "company"; the route has "trial", "personal" \(DRAWDOWN_UNKNOWN_REFERENCE\)\nhint: Run "drawdown which"/,
    );
    const missing = await runDrawdown(['run', '--route', 'personal', '--', 'no-such-agent-binary'], {
      cwd: project.dir,
      env,
    });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(
      /^drawdown: cannot start "no-such-agent-binary": no such program on PATH \(DRAWDOWN_CLI_SPAWN_FAILED\)\nhint: /,
    );
    const none = await runDrawdown(['run', '--route', 'personal'], { cwd: project.dir, env });
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/^drawdown: missing required argument 'command'/);
  });

  it('refuses a trial child when the bundled key is not set, naming the variable', async () => {
    const project = useProject(config);
    const result = await runDrawdown(['run', '--route', 'trial', '--', process.execPath, agent], {
      cwd: project.dir,
      env: { APP_TRIAL_KEY: undefined },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /^drawdown: strategy "bundled" cannot start a child: APP_TRIAL_KEY is not set\. \(DRAWDOWN_AUTH_UNAVAILABLE\)\nhint: /,
    );
  });

  it('still runs an entry asked for by name whose pool is spent, with a note on stderr', async () => {
    const project = useProject(config);
    await project.withHub((hub) => hub.charge({ requestId: 'spent', entry: 'trial', cost: usd('10') }));
    const result = await runDrawdown(
      ['run', '--route', 'trial', '--no-meter', '--', process.execPath, agent, '0', '0'],
      { cwd: project.dir, env },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^drawdown: note: pool "trial" is exhausted \(trial budget of \$10\.00 used\); the child may be refused\n$/,
    );
  });
});

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
describe('drawdown run with the real Claude Code CLI', { timeout: 120_000 }, () => {
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

  const priceOf = (calls: RecordedRequest[]) =>
    calls.reduce((sum, c) => sum + defaultRateCard.price(c.reply!.model!, c.reply!.usage).total, 0);
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
    expect(usd(report.totalUsd)).toBe(priceOf(calls));
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
    expect(usd((await spent(project)).totalUsd)).toBe(priceOf(calls));
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
    expect(summary).toMatchObject({ source: 'telemetry', turns: calls.length, charged: priceOf(calls) });
    expect(usd((await spent(project)).totalUsd)).toBe(priceOf(calls));
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
    const calls = server.requests.filter(
      (r) => !before.has(r.requestId) && r.path === '/v1/messages' && r.reply?.status === 200,
    );
    expect(result.stderr).toMatch(/^drawdown: 1 turn charged \$[\d.]+ to trial \(route trial\)\n$/);
    expect(usd((await spent(project)).totalUsd)).toBe(priceOf(calls));
  });

  it('says nothing was charged after a failed turn, instead of "charged $0.00"', async () => {
    const project = useProject(config);
    const { home } = freshHome();
    const env = { ...claudeCodeEnv({ baseUrl: server.url, home }), APP_TRIAL_KEY: KEY };
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
  });
});
