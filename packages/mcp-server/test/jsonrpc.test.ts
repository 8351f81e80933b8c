import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ResourceNotFoundError } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp } from '../src/index.js';
import { fixtureHub } from './fixtures/hub.js';
import { ERAS, fixture, newClient, stdioTransport, tempDb, until } from './helpers.js';

/** One JSON-RPC message the server wrote, as far as these tests read it. */
interface JsonRpcMessage {
  jsonrpc?: string;
  id?: string | number | null;
  result?: { serverInfo?: { name: string }; tools?: unknown[] };
  error?: { code: number; message: string; data?: unknown };
}

interface RawServer {
  /** Writes one line to the server's stdin, as given (a string) or as JSON. */
  send(line: string | object): void;
  /** Every JSON line the server wrote to stdout so far. */
  replies: Array<JsonRpcMessage>;
  stderr(): string;
  /** Waits for the reply that answers `id` (null: the first error reply with id null not yet taken). */
  reply(id: string | number | null): Promise<JsonRpcMessage>;
  close(): Promise<void>;
}

/** The fixture server as a real child process, driven by raw lines: the JSON-RPC layer under test. */
function startRaw(): RawServer {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--conditions=drawdown-source', '--import', 'tsx', fixture('stdio-server.ts')],
    {
      env: { ...process.env, DRAWDOWN_DB: tempDb(), DRAWDOWN_LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const replies: Array<JsonRpcMessage> = [];
  let out = '';
  let err = '';
  const taken = new Set<JsonRpcMessage>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const line of lines) replies.push(JSON.parse(line) as JsonRpcMessage);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return {
    send: (line) => void child.stdin.write(`${typeof line === 'string' ? line : JSON.stringify(line)}\n`),
    replies,
    stderr: () => err,
    async reply(id) {
      let found: JsonRpcMessage | undefined;
      await until(
        () => (found = replies.find((r) => r.id === id && !taken.has(r))) !== undefined,
        `the reply to id ${String(id)}`,
        30_000,
      );
      taken.add(found!);
      return found!;
    },
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('JSON-RPC over stdio (spawned process)', () => {
  let server: RawServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers a line that is not JSON with -32700 and id null, notes it in one stderr line, and keeps serving', async () => {
    server = startRaw();
    server.send('this is not json {');
    const reply = await server.reply(null);
    expect(reply).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    server.send(INITIALIZE);
    expect((await server.reply(1)).result?.serverInfo?.name).toBe('drawdown-test');
    await until(() => server!.stderr().includes('-32700'), 'the stderr note');
    const lines = server.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/not JSON.*-32700/);
  });

  it('answers JSON that is not a JSON-RPC message with -32600, using its id when it has one, in one quiet line each', async () => {
    server = startRaw();
    server.send(INITIALIZE);
    await server.reply(1);
    server.send({ hello: 'world', nested: { a: [1, 2, 3] } });
    expect(await server.reply(null)).toMatchObject({ id: null, error: { code: -32600 } });
    server.send({ jsonrpc: '2.0', id: 7, method: 42 });
    expect(await server.reply(7)).toMatchObject({ id: 7, error: { code: -32600 } });
    server.send([{ jsonrpc: '2.0', id: 8, method: 'tools/list' }]);
    expect(await server.reply(null)).toMatchObject({
      id: null,
      error: { code: -32600, message: expect.stringMatching(/batch/) },
    });
    server.send({ jsonrpc: '2.0', id: 9, method: 'tools/list' });
    expect((await server.reply(9)).result?.tools?.length).toBeGreaterThan(0);
    await until(() => server!.stderr().trimEnd().split('\n').length >= 3, 'the stderr notes');
    const lines = server.stderr().trimEnd().split('\n');
    // One short line per junk input, never a validation dump.
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.length).toBeLessThan(200);
    expect(server.stderr()).not.toMatch(/ZodError|"code":|at .*\.js/);
  });

  it('answers a read of an unknown pool with -32002 (resource not found) on a 2025-11-25 connection', async () => {
    server = startRaw();
    server.send(INITIALIZE);
    await server.reply(1);
    server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    server.send({ jsonrpc: '2.0', id: 2, method: 'resources/read', params: { uri: 'drawdown://pools/no-such-pool' } });
    const reply = await server.reply(2);
    expect(reply.error).toMatchObject({ code: -32002, data: { uri: 'drawdown://pools/no-such-pool' } });
    expect(reply.error?.message).toMatch(/no-such-pool/);
    expect(reply.error?.message).toMatch(/trial/);
    // Other errors keep their own codes.
    server.send({ jsonrpc: '2.0', id: 3, method: 'no/such/method', params: {} });
    expect((await server.reply(3)).error).toMatchObject({ code: -32601 });
  });

  for (const era of ERAS) {
    it(`an SDK client of the ${era} era recognises an unknown pool as a missing resource, not an internal error`, async () => {
      const client = newClient({ era });
      await client.connect(stdioTransport({ DRAWDOWN_DB: tempDb() }));
      try {
        const error = await client.readResource({ uri: 'drawdown://pools/no-such-pool' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ResourceNotFoundError);
        expect((error as ResourceNotFoundError).uri).toBe('drawdown://pools/no-such-pool');
        expect((error as Error).message).toMatch(/no pool "no-such-pool".*trial/);
        // A known pool still reads.
        const ok = await client.readResource({ uri: 'drawdown://pools/trial' });
        expect(JSON.parse((ok.contents[0] as { text: string }).text)).toMatchObject({ id: 'trial' });
      } finally {
        await client.close();
      }
    });
  }
});

describe('JSON-RPC over Streamable HTTP', () => {
  /** The JSON-RPC message of a POST reply, whether sent as JSON or as one SSE event. */
  const message = async (response: Response): Promise<JsonRpcMessage> => {
    const text = await response.text();
    const data = /^data: (.*)$/m.exec(text)?.[1] ?? text;
    return JSON.parse(data) as JsonRpcMessage;
  };

  it('answers a read of an unknown pool with -32002 on a 2025-11-25 session', async () => {
    const handle = await serveHttp({ hub: await fixtureHub() });
    try {
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const opened = await fetch(handle.url, { method: 'POST', headers, body: JSON.stringify(INITIALIZE) });
      const session = opened.headers.get('mcp-session-id')!;
      await opened.text();
      const sessionHeaders = { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
      await (
        await fetch(handle.url, {
          method: 'POST',
          headers: sessionHeaders,
          body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
        })
      ).text();
      const read = await fetch(handle.url, {
        method: 'POST',
        headers: sessionHeaders,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 5,
          method: 'resources/read',
          params: { uri: 'drawdown://pools/nope' },
        }),
      });
      expect((await message(read)).error).toMatchObject({ code: -32002, data: { uri: 'drawdown://pools/nope' } });
    } finally {
      await handle.close();
    }
  });
});
