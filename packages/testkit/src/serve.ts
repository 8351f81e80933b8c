import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startAnthropicServer, type AnthropicServer, type RecordedRequest } from './anthropic-server/server.js';
import {
  replies,
  unifiedRateLimitHeaders,
  type MessageReply,
  type ScriptedReply,
  type ScriptedUsage,
} from './anthropic-server/replies.js';

/** A bad flag or script file: the message names the flag or field and how to fix it. */
export class ServeUsageError extends Error {
  override name = 'ServeUsageError';
}

/** What `drawdown-testkit serve` was asked for, after parsing flags and the script file. */
export interface ServePlan {
  port: number;
  json: boolean;
  /** Replies for the first `/v1/messages` calls, in order. */
  queue: ScriptedReply[];
  /** Reply for every call after the queue ran out. */
  fallback: ScriptedReply;
  credentials?: Record<string, string>;
  /** Print one JSON line per request on stderr (credential labels, never values). */
  log: boolean;
}

/**
 * The script file: `{ "replies": [...], "fallback": {...}, "credentials": { "label": "key" } }`,
 * each reply shaped like the `replies.*` builders' output (`{ "kind": "message", "usage": {...} }`
 * or `{ "kind": "error", "status": 429, "type": "rate_limit_error", "message": "..." }`).
 */
interface ScriptFile {
  replies?: unknown[];
  fallback?: unknown;
  credentials?: Record<string, unknown>;
}

const HELP = `Usage: drawdown-testkit serve [options]

Starts the loopback Anthropic API server on 127.0.0.1 until interrupted.

Options:
  --port <n>              port to listen on (default: a free one)
  --json                  print {"url","port"} as the first line of stdout
  --text <text>           text of every reply
  --model <id>            model named in every reply (default: the one asked for)
  --usage <json>          usage of every reply, e.g. '{"input_tokens":1200,"output_tokens":40}'
  --header <name:value>   extra header on every reply (repeatable)
  --plan <status>         plan headers: allowed | allowed_warning | rejected (429)
  --plan-utilization <u>  utilization 0-1 of the binding window (with --plan)
  --plan-reset <epoch>    reset of the binding window, epoch seconds (with --plan)
  --plan-claim <window>   binding window, e.g. five_hour (default), seven_day
  --error <status:type[:message]>  answer every call with this error, e.g. 429:rate_limit_error
  --script <file.json>    {"replies":[...],"fallback":{...},"credentials":{...}}
  --credential <label=key>  accept only these keys (repeatable); others get 401
  --log                   one JSON line per request on stderr
`;

function parseJsonFlag(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ServeUsageError(
      `${flag} is not JSON (${(error as Error).message}); quote it, e.g. ${flag} '{"input_tokens":100,"output_tokens":5}'`,
    );
  }
}

function checkReply(where: string, value: unknown): ScriptedReply {
  const reply = value as Partial<ScriptedReply> | null;
  if (typeof reply !== 'object' || reply === null || (reply.kind !== 'message' && reply.kind !== 'error')) {
    throw new ServeUsageError(`${where}.kind must be "message" or "error"`);
  }
  if (reply.kind === 'error') {
    const error = reply as Partial<ScriptedReply & { kind: 'error' }>;
    if (!Number.isInteger(error.status) || error.status! < 400 || error.status! > 599)
      throw new ServeUsageError(`${where}.status must be an HTTP error status (400-599)`);
    if (typeof error.type !== 'string' || typeof error.message !== 'string')
      throw new ServeUsageError(`${where} needs "type" and "message" strings, like "rate_limit_error"`);
  }
  return reply as ScriptedReply;
}

/** Reads `serve` flags; an unknown or malformed flag is a ServeUsageError. */
function parseServeFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        json: { type: 'boolean', default: false },
        text: { type: 'string' },
        model: { type: 'string' },
        usage: { type: 'string' },
        header: { type: 'string', multiple: true },
        plan: { type: 'string' },
        'plan-utilization': { type: 'string' },
        'plan-reset': { type: 'string' },
        'plan-claim': { type: 'string' },
        error: { type: 'string' },
        script: { type: 'string' },
        credential: { type: 'string', multiple: true },
        log: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new ServeUsageError(`${(error as Error).message}; see drawdown-testkit serve --help`);
  }
}

/** Turns `serve` flags (and the script file they name) into a plan; throws ServeUsageError on bad input. */
export function parseServeArgs(argv: string[]): ServePlan | 'help' {
  const v = parseServeFlags(argv).values;
  if (v.help) return 'help';
  const port = v.port === undefined ? 0 : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ServeUsageError(`--port is "${v.port}"; use a port number 0-65535 (0 picks a free one)`);

  const headers: Record<string, string> = {};
  for (const line of v.header ?? []) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ServeUsageError(`--header "${line}" has no name; use --header 'name: value'`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  if (v.plan !== undefined) {
    if (v.plan !== 'allowed' && v.plan !== 'allowed_warning' && v.plan !== 'rejected')
      throw new ServeUsageError(`--plan is "${v.plan}"; use allowed, allowed_warning or rejected`);
    const claim = v['plan-claim'] ?? 'five_hour';
    const utilization = v['plan-utilization'] === undefined ? undefined : Number(v['plan-utilization']);
    if (utilization !== undefined && !(utilization >= 0 && utilization <= 1))
      throw new ServeUsageError(`--plan-utilization is "${v['plan-utilization']}"; use a number from 0 to 1`);
    const resetAt = v['plan-reset'] === undefined ? Math.floor(Date.now() / 1000) + 5 * 3600 : Number(v['plan-reset']);
    if (!Number.isInteger(resetAt) || resetAt <= 0)
      throw new ServeUsageError(
        `--plan-reset is "${v['plan-reset']}"; use epoch seconds, like ${Math.floor(Date.now() / 1000) + 3600}`,
      );
    Object.assign(
      headers,
      unifiedRateLimitHeaders({
        status: v.plan,
        resetAt,
        representativeClaim: claim,
        windows: { [claim]: { ...(utilization !== undefined && { utilization }), resetAt } },
      }),
    );
  }
  let usage: ScriptedUsage | undefined;
  if (v.usage !== undefined) {
    const value = parseJsonFlag('--usage', v.usage);
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new ServeUsageError('--usage must be a JSON object like {"input_tokens":100,"output_tokens":5}');
    for (const [field, n] of Object.entries(value)) {
      if (field.endsWith('_tokens') && (!Number.isSafeInteger(n) || (n as number) < 0))
        throw new ServeUsageError(`--usage.${field} is ${JSON.stringify(n)}; use a whole number of tokens`);
    }
    usage = value as ScriptedUsage;
  }

  const message: MessageReply = replies.message({
    ...(v.text !== undefined && { text: v.text }),
    ...(v.model !== undefined && { model: v.model }),
    ...(usage && { usage }),
    ...(Object.keys(headers).length > 0 && { headers }),
  });
  let fallback: ScriptedReply = message;
  if (v.plan === 'rejected')
    fallback = replies.error(
      429,
      'rate_limit_error',
      "This request would exceed your account's rate limit. Please try again later.",
      headers,
    );
  if (v.error !== undefined) {
    const [status, type, ...rest] = v.error.split(':');
    const code = Number(status);
    if (!Number.isInteger(code) || code < 400 || code > 599 || !type)
      throw new ServeUsageError(
        `--error is "${v.error}"; use status:type[:message], e.g. 429:rate_limit_error or 529:overloaded_error:Overloaded`,
      );
    fallback = replies.error(
      code,
      type,
      rest.length > 0 ? rest.join(':') : `scripted ${type}`,
      Object.keys(headers).length > 0 ? headers : undefined,
    );
  }

  let queue: ScriptedReply[] = [];
  let credentials: Record<string, string> | undefined;
  if (v.script !== undefined) {
    let text: string;
    try {
      text = readFileSync(v.script, 'utf8');
    } catch (error) {
      throw new ServeUsageError(
        `--script ${v.script} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the path of a JSON file`,
      );
    }
    const script = parseJsonFlag(`--script ${v.script}`, text) as ScriptFile;
    if (typeof script !== 'object' || script === null || Array.isArray(script))
      throw new ServeUsageError(`--script ${v.script} must hold an object: {"replies":[...],"fallback":{...}}`);
    if (script.replies !== undefined && !Array.isArray(script.replies))
      throw new ServeUsageError(`--script ${v.script}: "replies" must be a list`);
    queue = (script.replies ?? []).map((reply, i) => checkReply(`replies[${i}]`, reply));
    if (script.fallback !== undefined) fallback = checkReply('fallback', script.fallback);
    if (script.credentials !== undefined) {
      credentials = {};
      for (const [label, key] of Object.entries(script.credentials)) {
        if (typeof key !== 'string' || key === '')
          throw new ServeUsageError(`--script ${v.script}: credentials.${label} must be a non-empty string`);
        credentials[label] = key;
      }
    }
  }
  for (const pair of v.credential ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1)
      throw new ServeUsageError(`--credential needs label=key, e.g. --credential trial=sk-ant-test-trial`);
    credentials = { ...credentials, [pair.slice(0, eq)]: pair.slice(eq + 1) };
  }
  return { port, json: v.json, queue, fallback, ...(credentials && { credentials }), log: v.log };
}

/** A request as the log prints it: what was called and which credential label, never a secret. */
export function describeRequest(request: RecordedRequest): Record<string, unknown> {
  return {
    method: request.method,
    path: request.path,
    requestId: request.requestId,
    credentials: request.presented,
    ...(typeof request.body?.model === 'string' && { model: request.body.model }),
    ...(request.body?.stream === true && { stream: true }),
  };
}

/** Starts the server a plan describes. */
export async function serve(
  plan: ServePlan,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<AnthropicServer> {
  const server = await startAnthropicServer({
    port: plan.port,
    ...(plan.credentials && { credentials: plan.credentials }),
    fallback: () => plan.fallback,
    ...(plan.log && { onRequest: (request: RecordedRequest) => log(JSON.stringify(describeRequest(request))) }),
  });
  server.enqueue(...plan.queue);
  return server;
}

/** `drawdown-testkit <command> [flags]`: returns the exit code (it keeps serving until a signal). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'serve') {
    process.stderr.write(
      `drawdown-testkit: unknown command "${command}"; the only command is "serve" (see drawdown-testkit serve --help)\n`,
    );
    return 2;
  }
  let plan: ServePlan | 'help';
  try {
    plan = parseServeArgs(rest);
  } catch (error) {
    if (!(error instanceof ServeUsageError)) throw error;
    if (rest.includes('--json'))
      process.stdout.write(
        `${JSON.stringify({ code: 'TESTKIT_INVALID_ARGUMENT', message: error.message, hint: 'see drawdown-testkit serve --help' })}\n`,
      );
    process.stderr.write(`drawdown-testkit: ${error.message}\n`);
    return 2;
  }
  if (plan === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  let server: AnthropicServer;
  try {
    server = await serve(plan);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'EADDRINUSE'
        ? `port ${plan.port} is in use; pick another --port or 0 for a free one`
        : `cannot listen: ${(error as Error).message}`;
    if (plan.json)
      process.stdout.write(`${JSON.stringify({ code: 'TESTKIT_LISTEN_FAILED', message, hint: 'use --port 0' })}\n`);
    process.stderr.write(`drawdown-testkit: ${message}\n`);
    return 1;
  }
  const port = Number(new URL(server.url).port);
  if (plan.json) process.stdout.write(`${JSON.stringify({ url: server.url, port })}\n`);
  else process.stdout.write(`Anthropic API double listening on ${server.url}\n  ANTHROPIC_BASE_URL=${server.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
