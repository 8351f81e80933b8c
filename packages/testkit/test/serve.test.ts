import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { query } from '@anthropic-ai/claude-agent-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { claudeCodeEnv, parseServeArgs, ServeUsageError, startAnthropicServer } from '../src/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const claude = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@anthropic-ai/claude-code/package.json')),
  'bin',
  'claude.exe',
);
const KEY = 'sk-ant-testkit-serve-key-0001';

interface Served {
  child: ChildProcess;
  url: string;
  /** Lines the server logged on stderr (one JSON object per request with --log). */
  log: string[];
  stop(): Promise<number | null>;
}

/** Starts `drawdown-testkit serve` as its own process and reads its --json startup line. */
function startServe(args: string[]): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=drawdown-source', '--import', tsxLoader, bin, 'serve', '--json', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log: string[] = [];
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
      const lines = err.split('\n');
      err = lines.pop()!;
      log.push(...lines);
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!out.includes('\n')) return;
      const first = JSON.parse(out.split('\n')[0]!) as { url?: string; message?: string };
      if (!first.url) return reject(new Error(first.message));
      resolve({
        child,
        url: first.url,
        log,
        stop: () =>
          new Promise((done) => {
            child.once('close', done);
            child.kill('SIGTERM');
          }),
      });
    });
    child.on('close', (code) => reject(new Error(`serve exited with ${code}: ${err}${log.join('\n')}`)));
  });
}

function runClaude(env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(claude, ['-p', 'hi', '--output-format', 'json'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('drawdown-testkit serve', { timeout: 120_000 }, () => {
  let home: string;
  let served: Served | undefined;
  beforeAll(() => {
    home = mkdtempSync(path.join(tmpdir(), 'drawdown-testkit-serve-'));
  });
  afterEach(async () => {
    await served?.stop();
    served = undefined;
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('serves everything the real Claude Code CLI calls, with the scripted usage and plan headers, and logs no secret', async () => {
    served = await startServe([
      '--credential',
      `test=${KEY}`,
      '--usage',
      '{"input_tokens":1234,"output_tokens":56}',
      '--text',
      'Scripted hello',
      '--plan',
      'allowed_warning',
      '--plan-utilization',
      '0.9',
      '--log',
    ]);
    const result = await runClaude(claudeCodeEnv({ baseUrl: served.url, home, apiKey: KEY }));
    expect(result.code).toBe(0);
    const reply = JSON.parse(result.stdout) as {
      result: string;
      usage: { input_tokens: number; output_tokens: number };
    };
    expect(reply.result).toBe('Scripted hello');
    expect(reply.usage).toMatchObject({ input_tokens: 1234, output_tokens: 56 });
    await new Promise((r) => setTimeout(r, 200));
    const requests = served.log.map(
      (line) => JSON.parse(line) as { method: string; path: string; credentials: Array<{ credential: string }> },
    );
    // Claude Code's connectivity check and its streamed Messages API call, both answered.
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['HEAD /api/hello', 'POST /v1/messages']),
    );
    expect(
      requests.filter((r) => r.path === '/v1/messages').every((r) => r.credentials[0]?.credential === 'test'),
    ).toBe(true);
    expect(served.log.join('\n')).not.toContain(KEY);
  });

  it('serves everything the real Agent SDK calls', async () => {
    const server = await startAnthropicServer({ credentials: { test: KEY } });
    try {
      let result: { subtype?: string } | undefined;
      for await (const message of query({
        prompt: 'hi',
        options: { env: claudeCodeEnv({ baseUrl: server.url, home, apiKey: KEY }), maxTurns: 1 },
      })) {
        if (message.type === 'result') result = message;
      }
      expect(result?.subtype).toBe('success');
      expect(server.requests.length).toBeGreaterThan(0);
      // Nothing the agent asked for went unanswered.
      expect(server.requests.filter((r) => r.reply !== undefined && r.reply.status !== 200)).toEqual([]);
      expect(server.requests.some((r) => r.method === 'HEAD' && r.path === '/api/hello')).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('replays a script file, then its fallback, and answers errors the real CLI reports', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drawdown-testkit-script-'));
    const file = path.join(dir, 'script.json');
    writeFileSync(
      file,
      JSON.stringify({
        credentials: { test: KEY },
        replies: [{ kind: 'message', text: 'first', usage: { input_tokens: 10, output_tokens: 1 } }],
        fallback: {
          kind: 'error',
          status: 400,
          type: 'invalid_request_error',
          message: 'Your credit balance is too low to access the Anthropic API.',
        },
      }),
    );
    try {
      served = await startServe(['--script', file]);
      const env = claudeCodeEnv({ baseUrl: served.url, home, apiKey: KEY });
      expect(JSON.parse((await runClaude(env)).stdout)).toMatchObject({ result: 'first' });
      const refused = await runClaude(env);
      expect(refused.code).not.toBe(0);
      expect(JSON.parse(refused.stdout)).toMatchObject({
        is_error: true,
        api_error_status: 400,
        result: 'Credit balance is too low',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad flags naming the flag and the fix, as JSON with --json', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--conditions=drawdown-source', '--import', tsxLoader, bin, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
        child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const bad = await run(['serve', '--json', '--port', 'eighty']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toEqual({
      code: 'TESTKIT_INVALID_ARGUMENT',
      message: expect.stringContaining('--port is "eighty"'),
      hint: expect.any(String),
    });
    const unknown = await run(['listen']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "listen"');
  });
});

describe('parseServeArgs', () => {
  it('builds plan headers, errors and usage from flags', () => {
    const plan = parseServeArgs([
      '--usage',
      '{"input_tokens":5}',
      '--plan',
      'rejected',
      '--plan-reset',
      '1795000000',
      '--header',
      'x-extra: yes',
    ]);
    expect(plan).toMatchObject({
      port: 0,
      fallback: {
        kind: 'error',
        status: 429,
        headers: {
          'anthropic-ratelimit-unified-status': 'rejected',
          'anthropic-ratelimit-unified-reset': '1795000000',
          'x-extra': 'yes',
        },
      },
    });
    expect(parseServeArgs(['--error', '529:overloaded_error:Overloaded'])).toMatchObject({
      fallback: { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
    });
    expect(parseServeArgs(['--help'])).toBe('help');
  });

  it('names the flag or field that is wrong', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--usage', 'nope'], /--usage is not JSON/],
      [['--usage', '{"input_tokens":-1}'], /--usage\.input_tokens is -1/],
      [['--plan', 'maybe'], /--plan is "maybe"/],
      [['--plan', 'allowed', '--plan-utilization', '2'], /--plan-utilization is "2"/],
      [['--error', 'teapot'], /--error is "teapot"/],
      [['--header', 'novalue'], /--header "novalue" has no name/],
      [['--credential', 'nokey'], /--credential needs label=key/],
      [['--script', '/no/such/file.json'], /--script \/no\/such\/file\.json cannot be read/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      expect(() => parseServeArgs(args), args.join(' ')).toThrow(ServeUsageError);
      expect(() => parseServeArgs(args), args.join(' ')).toThrow(message);
    }
  });
});
