import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrawdownConfig } from '../src/config/types.js';
import { createProgram } from '../src/program.js';
import { trialConfig, useProject } from './project.js';
import { repoRoot, runDrawdown, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

interface ErrorJson {
  code: string;
  message: string;
  hint: string | null;
}

/** Every command the program offers, subcommands included (`config check`, `keys create`…). */
async function everyCommand(): Promise<string[][]> {
  const program = await createProgram({
    term: { out: () => {}, note: () => {}, color: false, width: 80 },
    env: {},
    cwd: process.cwd(),
  });
  const walk = (command: typeof program, prefix: string[]): string[][] =>
    command.commands.flatMap((c) =>
      (c as unknown as { _hidden?: boolean })._hidden
        ? []
        : c.commands.length > 0
          ? walk(c, [...prefix, c.name()])
          : [[...prefix, c.name()]],
    );
  return walk(program, []);
}

const parseError = (stderr: string): ErrorJson => {
  const lines = stderr.trim().split('\n');
  // One JSON object on the last line of stderr (a command may have noted progress before it).
  const error = JSON.parse(lines[lines.length - 1]!) as ErrorJson;
  expect(error).toEqual(
    expect.objectContaining({ code: expect.stringMatching(/^DRAWDOWN_/), message: expect.any(String) }),
  );
  expect(error).toHaveProperty('hint');
  return error;
};

const commands = await everyCommand();

/** Most cases run in this process; these few spawn the real binary so its JSON errors are checked too. */
const spawnedCommands = new Set(['status', 'gateway']);

/** Commands that fail on their input or configuration, each with the code and hint it must give. */
const noRoute = { ...trialConfig, route: [] } as DrawdownConfig;
const errorCases: Array<{
  args: string[];
  config?: DrawdownConfig | string;
  code: string;
  hint?: RegExp;
  spawned?: boolean;
}> = [
  {
    args: ['status', '--json'],
    config: '{ "pools": 3 }',
    code: 'DRAWDOWN_CLI_INVALID_CONFIG',
    hint: /config check/,
    spawned: true,
  },
  {
    args: ['report', '--json', '--days', '0'],
    config: trialConfig,
    code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
    hint: /whole number/,
  },
  { args: ['which', '--json'], config: noRoute, code: 'DRAWDOWN_CLI_INVALID_CONFIG', hint: /route/ },
  { args: ['reconcile', '--json'], config: trialConfig, code: 'DRAWDOWN_CLI_INVALID_CONFIG', hint: /"reconcile"/ },
  {
    args: ['estimate', '--json', '--model', 'claude-nope-1', '--usage', '{"input_tokens":1,"output_tokens":0}'],
    code: 'DRAWDOWN_UNKNOWN_MODEL',
  },
  { args: ['login', '--json'], config: trialConfig, code: 'DRAWDOWN_CLI_UNAVAILABLE', hint: /oauth/ },
  { args: ['logout', '--json'], config: trialConfig, code: 'DRAWDOWN_CLI_UNAVAILABLE' },
  { args: ['demo', '--json', '--live'], code: 'DRAWDOWN_CLI_UNAVAILABLE', hint: /without --live/ },
  {
    args: ['config', 'init', '--json', '--time-zone', 'Nowhere/Else'],
    code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
    hint: /--time-zone/,
  },
  { args: ['config', 'check', '--json'], config: '{ "pools": ', code: 'DRAWDOWN_CLI_INVALID_CONFIG', hint: /syntax/ },
  // A missing API key: the hint names the variable to export, not "drawdown login" (that is for OAuth strategies).
  {
    args: ['run', '--json', '--route', 'trial', '--', process.execPath, '-e', '0'],
    config: trialConfig,
    code: 'DRAWDOWN_AUTH_UNAVAILABLE',
    hint: /^Export APP_TRIAL_KEY/,
  },
  {
    args: ['run', '--json', '--route', 'nope', '--', process.execPath, '-e', '0'],
    config: trialConfig,
    code: 'DRAWDOWN_UNKNOWN_REFERENCE',
  },
];

describe.concurrent('every command under --json', () => {
  it.each(commands.filter((c) => c[0] !== 'mcp'))(
    '%s: a bad flag is a JSON error with code, message and hint',
    async (...names) => {
      const run = spawnedCommands.has(names.join(' ')) ? runDrawdown : runInProcess;
      const result = await run([...names, '--json', '--no-such-flag'], { cwd: repoRoot });
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      // Commander may complain first about a required option or argument; either way it is JSON.
      expect(parseError(result.stderr)).toMatchObject({
        code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
        hint: expect.stringContaining('--help'),
      });
    },
  );

  it.each(errorCases)(
    '$args.0 $args.1: a failing input is a JSON error on stderr, stdout stays clean',
    async ({ args, config, code, hint, spawned }) => {
      const project = useProject(config ?? {}, config === undefined ? 'unused.json' : undefined);
      const result = await (spawned ? runDrawdown : runInProcess)(args, {
        cwd: project.dir,
        env: { ANTHROPIC_API_KEY: undefined, APP_TRIAL_KEY: undefined, XDG_CONFIG_HOME: path.join(project.dir, 'xdg') },
      });
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      const error = parseError(result.stderr);
      expect(error.code).toBe(code);
      if (hint) expect(error.hint).toMatch(hint);
      expect(error.hint ?? '').not.toMatch(code === 'DRAWDOWN_AUTH_UNAVAILABLE' ? /drawdown login/ : /$^/);
    },
  );
});

describe.concurrent('at COLUMNS=80', () => {
  // Long ids and labels, several limits and a refusal reason: the widest a real screen gets.
  const wide: DrawdownConfig = {
    timeZone: 'America/Argentina/Buenos_Aires',
    store: { kind: 'sqlite', file: 'ledger.sqlite' },
    strategies: {
      'bundled-trial-key': { kind: 'apiKey', envVar: 'APP_TRIAL_KEY' },
      'users-own-claude-login': { kind: 'delegated' },
    },
    pools: {
      'first-week-free-trial': { kind: 'budget', amount: '10.00', label: 'free trial for the first week of use' },
      'daily-safety-net-budget': {
        kind: 'budget',
        amount: '5.00',
        period: 'day',
        label: 'daily safety net once the trial is over',
      },
      'claude-max-plan-allowance': { kind: 'planAllowance', label: 'Claude Max plan' },
    },
    route: [
      { id: 'trial-period', strategy: 'bundled-trial-key', pool: 'first-week-free-trial' },
      { id: 'daily-safety-net', strategy: 'bundled-trial-key', pool: 'daily-safety-net-budget' },
      { id: 'personal-login', strategy: 'users-own-claude-login', pool: 'claude-max-plan-allowance' },
    ],
  };

  it.each([
    ['status'],
    ['which'],
    ['report', '--by', 'day,model'],
    ['report', '--by', 'route,pool'],
    ['config', 'check'],
  ])('%s %s has no line over 80 characters', async (...args) => {
    const project = useProject(wide);
    await project.withHub(async (hub) => {
      await hub.charge({ requestId: 'm1', entry: 'trial-period', model: 'claude-sonnet-4-5', cost: 4_000_000_000 });
      await hub.charge({ requestId: 'm2', entry: 'daily-safety-net', model: 'claude-haiku-4-5', cost: 123_456_789 });
    });
    // The bundled key's variable is set: a check without it is red (the key is missing).
    const env = { COLUMNS: '80', APP_TRIAL_KEY: 'sk-ant-width' };
    const result = await runInProcess(args, { cwd: project.dir, env });
    expect(unwrapped(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    const long = result.stdout.split('\n').filter((line) => [...line].length > 80);
    expect(long).toEqual([]);
    // The full text is in --json: nothing shortened there.
    const json = await runInProcess([...args, '--json'], { cwd: project.dir, env });
    if (args[0] !== 'config')
      expect(json.stdout).toContain(
        args[0] === 'report' ? (args[2] === 'route,pool' ? 'daily-safety-net-budget' : '2026-') : 'daily-safety-net',
      );
  });

  it('config check with problems in long fields wraps them', async () => {
    const project = useProject({
      ...wide,
      pools: { ...wide.pools, 'first-week-free-trial': { kind: 'budget', amount: 'ten dollars and not a cent more' } },
    } as DrawdownConfig);
    const result = await runDrawdown(['config', 'check'], { cwd: project.dir, env: { COLUMNS: '80' } });
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').filter((line) => [...line].length > 80)).toEqual([]);
  });
});

describe.concurrent('every command at COLUMNS=80, text and --json, success and error', () => {
  // In this process like the cases above, but for the MCP server (it ends when its input does) and
  // the spawned few, whose real binary's output is checked too.
  const runFor = (words: string[]) =>
    words[0] === 'mcp' || spawnedCommands.has(words[0]!) || spawnedCommands.has(words.slice(0, 2).join(' '))
      ? runDrawdown
      : runInProcess;
  const over80 = (text: string): string[] => text.split('\n').filter((line) => [...line].length > 80);
  const env = (project: { dir: string }) => ({
    COLUMNS: '80',
    APP_TRIAL_KEY: 'sk-ant-width-test-0000',
    HOME: path.join(project.dir, 'home'),
    XDG_CONFIG_HOME: path.join(project.dir, 'xdg'),
  });
  // One project for every command: long ids and labels, money spent, a key.
  const project = useProject({
    timeZone: 'America/Argentina/Buenos_Aires',
    store: { kind: 'sqlite', file: 'ledger.sqlite' },
    strategies: { 'bundled-trial-key': { kind: 'apiKey', envVar: 'APP_TRIAL_KEY' } },
    pools: {
      'first-week-free-trial': { kind: 'budget', amount: '10.00', label: 'free trial for the first week of use' },
      'daily-safety-net-budget': { kind: 'budget', amount: '0.50', period: 'day', label: 'daily safety net' },
    },
    route: [
      { id: 'trial-period', strategy: 'bundled-trial-key', pool: 'first-week-free-trial' },
      { id: 'daily-safety-net', strategy: 'bundled-trial-key', pool: 'daily-safety-net-budget' },
    ],
  } as DrawdownConfig);
  const charged = project.withHub(async (hub) => {
    await hub.charge({ requestId: 'w1', entry: 'trial-period', model: 'claude-sonnet-4-5', cost: 4_123_456_789 });
    await hub.charge({ requestId: 'w2', entry: 'daily-safety-net', model: 'claude-haiku-4-5', cost: 499_999_999 });
  });

  // What each command does when it works. Servers (gateway, dashboard) and commands that need an
  // outside party (an OAuth provider, an ACP agent, Anthropic's Admin API) show their help here;
  // their own tests run them, and `demo` has its own 80-column test.
  const success: Record<string, (json: boolean) => string[]> = {
    status: () => ['status'],
    report: () => ['report', '--by', 'day,model'],
    which: () => ['which'],
    estimate: () => [
      'estimate',
      '--model',
      'claude-sonnet-4-5',
      '--usage',
      '{"input_tokens":1234,"output_tokens":567}',
    ],
    rates: () => ['rates'],
    run: () => ['run', '--route', 'trial-period', '--', process.execPath, '-e', '0'],
    mcp: () => ['mcp'],
    'keys create': (json) => ['keys', 'create', json ? 'laptop-json' : 'laptop-text', '--route', 'trial-period'],
    'keys list': () => ['keys', 'list'],
    'config check': () => ['config', 'check'],
  };
  const withJson = (args: string[]): string[] => {
    const dashDash = args.indexOf('--');
    return dashDash === -1 ? [...args, '--json'] : [...args.slice(0, dashDash), '--json', ...args.slice(dashDash)];
  };

  it.each(commands)(
    '%s %s: works within 80 columns, and prints JSON under --json',
    async (...names) => {
      await charged;
      const make = success[names.join(' ')];
      for (const json of [false, true]) {
        const args = make ? make(json) : [...names, '--help'];
        const result = await runFor(names)(json && make ? withJson(args) : args, {
          cwd: project.dir,
          env: env(project),
        });
        expect(result.code, result.stderr).toBe(0);
        if (json && make) {
          // stdout is JSON (the MCP server speaks it only to a client, and `run` leaves stdout to the child).
          if (names[0] !== 'mcp' && names[0] !== 'run') expect(() => JSON.parse(result.stdout)).not.toThrow();
        } else {
          expect(over80(result.stdout)).toEqual([]);
          expect(over80(result.stderr)).toEqual([]);
        }
      }
    },
    180_000,
  );

  it.each(commands)('%s %s: a bad flag is an error within 80 columns', async (...names) => {
    const result = await runFor(names)([...names, '--no-such-flag'], { cwd: project.dir, env: env(project) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^drawdown: /);
    expect(result.stderr).toMatch(/\nhint: /);
    expect(over80(result.stdout + result.stderr)).toEqual([]);
  });

  // Without --json, `config init` asks in its wizard instead of failing (its own tests cover that).
  it.each(errorCases.filter(({ args }) => !(args[0] === 'config' && args[1] === 'init')))(
    '$args.0 $args.1: fails within 80 columns, with an error line and a hint',
    async ({ args, config, hint }) => {
      const broken = useProject(config ?? {}, config === undefined ? 'unused.json' : undefined);
      const text = args.filter((a) => a !== '--json');
      const result = await runFor(text)(text, {
        cwd: broken.dir,
        env: { ANTHROPIC_API_KEY: undefined, APP_TRIAL_KEY: undefined, XDG_CONFIG_HOME: path.join(broken.dir, 'xdg') },
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/^drawdown: /);
      // The hint is one line once unwrapped; an anchored pattern must start it, any other occur in it.
      const inHint = hint && (hint.source.startsWith('^') ? hint.source.slice(1) : `.*${hint.source}`);
      if (inHint) expect(unwrapped(result.stderr)).toMatch(new RegExp(`\nhint: ${inHint}`));
      expect(over80(result.stdout + result.stderr)).toEqual([]);
    },
  );
});

describe('pnpm drawdown from a checkout', () => {
  it("works in the caller's directory: a configuration there is found", async () => {
    const project = useProject({ ...trialConfig, store: { kind: 'memory' } });
    const nested = path.join(project.dir, 'app');
    mkdirSync(nested);
    writeFileSync(path.join(nested, 'notes.txt'), '');
    const { spawnSync } = await import('node:child_process');
    const result = spawnSync(
      'npx',
      ['-y', 'pnpm@10', '--silent', '--dir', repoRoot, 'drawdown', 'config', 'check', '--json'],
      {
        cwd: nested,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, DRAWDOWN_CONFIG: undefined, APP_TRIAL_KEY: 'sk-ant-checkout' } as NodeJS.ProcessEnv,
      },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, file: project.file });
  }, 150_000);
});
