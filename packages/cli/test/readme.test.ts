import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../src/program.js';
import { codeBlocks, typecheckBlocks } from '../../../test-support/readme-blocks.js';
import { recentClaudeLogs } from '../../../test-support/claude-logs.js';
import { repoRoot, runDrawdown } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const blocks = codeBlocks(path.join(packageDir, 'README.md'));

/** Splits a shell line into words the way sh does for these examples: quotes, comments, redirections, env prefixes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? '') + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (
      (c === '#' && word === undefined) ||
      c === '|' ||
      c === '>' ||
      c === ';' ||
      c === '&' ||
      (c === '2' && line[i + 1] === '>')
    )
      break;
    else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  while (words[0] !== undefined && /^[A-Z_]+=/.test(words[0])) words.shift();
  return words;
}

/** The program with every action replaced by nothing: parsing alone says whether a command line is valid. */
async function parsingProgram(): Promise<Command> {
  const program = await createProgram({
    term: { out: () => {}, note: () => {}, color: false, width: 80 },
    env: {},
    cwd: process.cwd(),
  });
  const stub = (command: Command): void => {
    command.action(() => {});
    command.commands.forEach(stub);
  };
  program.commands.forEach(stub);
  return program;
}

const commandLines = blocks
  .filter((b) => b.lang === 'sh')
  .flatMap((b) => b.code.split('\n').map((line) => ({ line: line.trim(), at: b.line })))
  .map(({ line, at }) => ({ words: shellWords(line), at, line }))
  .filter(({ words }) => words[0] === 'drawdown');

describe('the CLI README', () => {
  it.each(commandLines.map((c) => [c.words.join(' '), c]))(
    '%s parses as copied (commands, flags and values exist)',
    async (_line, { words }) => {
      try {
        await (await parsingProgram()).parseAsync(words.slice(1), { from: 'user' });
      } catch (error) {
        if (error instanceof CommanderError && error.code === 'commander.helpDisplayed') return;
        throw error;
      }
    },
  );

  it('shows at least the commands this package owns', () => {
    const names = new Set(commandLines.map((c) => c.words[1]));
    for (const name of ['status', 'report', 'which', 'config', 'demo', 'login', 'estimate', 'run'])
      expect(names).toContain(name);
  });

  it('every drawdown configuration in a JSON block passes config check', async () => {
    const configs = blocks
      .filter((b) => b.lang === 'json')
      .map((b) => ({ block: b, value: JSON.parse(b.code) as Record<string, unknown> }));
    const drawdownConfigs = configs.filter(({ value }) =>
      ['strategies', 'pools', 'route', 'rateCard', 'store'].some((k) => k in value),
    );
    expect(drawdownConfigs.length).toBeGreaterThanOrEqual(2);
    // A block without pools (only "rateCard") is a fragment of a configuration: checked inside the first whole one.
    const whole = drawdownConfigs.find(({ value }) => 'route' in value)!.value;
    for (const { block, value } of drawdownConfigs) {
      const dir = mkdtempSync(path.join(tmpdir(), 'drawdown-readme-'));
      try {
        const config = 'pools' in value || 'strategies' in value ? value : { ...whole, ...value };
        writeFileSync(path.join(dir, 'drawdown.config.json'), JSON.stringify(config));
        // The check opens the ledger and looks for each key: a fresh HOME, the keys the blocks name.
        const env = { XDG_CONFIG_HOME: dir, HOME: dir, MYAPP_TRIAL_KEY: 'sk-ant-a', ANTHROPIC_API_KEY: 'sk-ant-b' };
        const result = await runDrawdown(['config', 'check', '--json'], { cwd: dir, env });
        expect(JSON.parse(result.stdout), `README line ${block.line}`).toMatchObject({ ok: true, problems: [] });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('every TypeScript block type-checks as written', () => {
    const ts = blocks.filter((b) => b.lang === 'ts');
    expect(ts.length).toBeGreaterThanOrEqual(1);
    expect(typecheckBlocks(ts, packageDir)).toEqual([]);
  }, 240_000);

  it('the JSON error example is what the CLI prints', async () => {
    const result = await runDrawdown([
      'estimate',
      '--model',
      'claude-sonet-4-5',
      '--usage',
      '{"input_tokens":1,"output_tokens":0}',
      '--json',
    ]);
    expect(result.stdout).toBe('');
    expect(JSON.parse(result.stderr)).toMatchObject({
      code: 'DRAWDOWN_UNKNOWN_MODEL',
      message: expect.stringContaining('claude-sonet-4-5'),
      hint: expect.stringContaining('Use a model id such as'),
    });
  });
});

describe("the repository README's Quickstart, from a checkout", () => {
  const quickstart = codeBlocks(path.join(repoRoot, 'README.md')).find(
    (b) => b.lang === 'sh' && b.code.includes('drawdown config init'),
  )!;
  const lines = quickstart.code
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');

  it('installs first, then runs drawdown through pnpm: no published package is needed', () => {
    expect(lines[0]).toBe('npx -y pnpm@10 install');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines.slice(1)) expect(line).toMatch(/^npx -y pnpm@10 drawdown /);
  });

  it('each drawdown line works as printed, in a fresh HOME with Claude Code logs', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'drawdown-quickstart-'));
    try {
      recentClaudeLogs(path.join(home, '.claude'));
      const env = {
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, '.config'),
        XDG_CACHE_HOME: path.join(home, '.cache'),
        XDG_DATA_HOME: undefined,
        DRAWDOWN_CONFIG: undefined,
        DRAWDOWN_DB: undefined,
        CLAUDE_CONFIG_DIR: undefined,
        ANTHROPIC_API_KEY: 'sk-ant-quickstart',
      };
      // The first line runs as typed, through pnpm in the checkout (the install is this test run's own).
      const [first, ...rest] = lines.slice(1).map((line) => shellWords(line).slice(3));
      const viaPnpm = spawnSync('npx', ['-y', 'pnpm@10', ...first!], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 120_000,
        env: Object.fromEntries(
          Object.entries({ ...process.env, ...env, NO_COLOR: '1' }).filter(([, v]) => v !== undefined),
        ) as NodeJS.ProcessEnv,
      });
      expect(viaPnpm.status, viaPnpm.stderr).toBe(0);
      expect(viaPnpm.stdout).toContain('Claude Code on this machine');
      // The rest in this process: the same program; `config init` takes every default from an empty stdin.
      for (const words of rest) {
        const result = await runInProcess(words.slice(1), { cwd: home, env });
        expect(result.code, `${words.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
      }
      expect(existsSync(path.join(home, '.config', 'drawdown', 'drawdown.config.json'))).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);
});
