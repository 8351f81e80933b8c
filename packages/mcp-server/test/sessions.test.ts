import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp, type HttpHandle } from '../src/index.js';
import { fixtureHub } from './fixtures/hub.js';
import { callJson, httpTransport, newClient, until } from './helpers.js';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'abandoning-client', version: '1' } },
});

/** Opens a 2025-era session the way a client does, and walks away from it (no DELETE). */
async function abandonSession(url: string): Promise<string> {
  const response = await fetch(url, { method: 'POST', headers: HEADERS, body: INITIALIZE });
  expect(response.status).toBe(200);
  await response.text();
  return response.headers.get('mcp-session-id')!;
}

/** A request on an existing session; returns the HTTP status. */
async function ping(url: string, sessionId: string): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
  });
  await response.text();
  return response.status;
}

/** The garbage collector, reachable from this test without starting Node with --expose-gc. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapAfterGc(gc: () => void): number {
  // Twice: the first pass can leave objects that only the second finds unreachable.
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('HTTP sessions', () => {
  let handle: HttpHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  it('closes a session left idle past the timeout; its client gets 404 and can initialize again', async () => {
    handle = await serveHttp({ hub: await fixtureHub(), sessionIdleTimeoutMs: 300 });
    const id = await abandonSession(handle.url);
    expect(handle.openSessions()).toBe(1);
    await until(() => handle!.openSessions() === 0, 'the idle session to expire');
    expect(await ping(handle.url, id)).toBe(404);
    // A real client starts over with a new session and is served.
    const client = newClient({ era: 'legacy' });
    await client.connect(httpTransport(handle.url));
    expect((await callJson(client, 'pool_status')).pools).toHaveLength(2);
    await client.close();
  });

  it('keeps a session that is in use past the idle timeout', async () => {
    handle = await serveHttp({ hub: await fixtureHub(), sessionIdleTimeoutMs: 2_000 });
    const client = newClient({ era: 'legacy' });
    await client.connect(httpTransport(handle.url));
    // Requests more often than the timeout keep it alive across several timeouts.
    const started = Date.now();
    while (Date.now() - started < 5_000) {
      await callJson(client, 'pool_status');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(handle.openSessions()).toBe(1);
    await client.close();
  });

  it('at the cap, a new session evicts the one idle the longest', async () => {
    handle = await serveHttp({ hub: await fixtureHub(), maxSessions: 3 });
    const first = await abandonSession(handle.url);
    const second = await abandonSession(handle.url);
    const third = await abandonSession(handle.url);
    expect(await ping(handle.url, first)).toBe(200); // now the second is idle the longest
    await abandonSession(handle.url);
    expect(handle.openSessions()).toBe(3);
    expect(await ping(handle.url, second)).toBe(404);
    expect(await ping(handle.url, first)).toBe(200);
    expect(await ping(handle.url, third)).toBe(200);
  });

  it('refuses a new session with 503 and a clear error when every session has a request open', async () => {
    handle = await serveHttp({ hub: await fixtureHub(), maxSessions: 1 });
    const id = await abandonSession(handle.url);
    // The standalone GET stream a 2025-era client keeps open for notifications.
    const stream = new AbortController();
    const get = await fetch(handle.url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
      signal: stream.signal,
    });
    expect(get.status).toBe(200);
    const refused = await fetch(handle.url, { method: 'POST', headers: HEADERS, body: INITIALIZE });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /Too many sessions: all 1 are busy/,
    );
    // Once the stream ends the session is idle, and a newcomer may evict it.
    stream.abort();
    await until(
      async () => (await fetch(handle!.url, { method: 'POST', headers: HEADERS, body: INITIALIZE })).status === 200,
      'a new session to be admitted',
    );
    expect(handle.openSessions()).toBe(1);
  });

  it('validates its session options, naming the field', async () => {
    const hub = await fixtureHub();
    await expect(serveHttp({ hub, sessionIdleTimeoutMs: 0 })).rejects.toThrow(/"sessionIdleTimeoutMs"/);
    await expect(serveHttp({ hub, maxSessions: 0 })).rejects.toThrow(/"maxSessions"/);
    await expect(serveHttp({ hub, maxSessions: 2.5 })).rejects.toThrow(/"maxSessions"/);
  });

  it('stays flat under 1,000 abandoned sessions: the count within the cap, the heap near its level at the cap', async () => {
    const cap = 25;
    const gc = collector();
    handle = await serveHttp({ hub: await fixtureHub(), maxSessions: cap });
    // Warm up and fill to the cap: this is the most the server should ever hold.
    for (let i = 0; i < cap * 2; i++) await abandonSession(handle.url);
    expect(handle.openSessions()).toBe(cap);
    const atCap = heapAfterGc(gc);
    let most = 0;
    for (let i = 0; i < 1_000; i++) {
      await abandonSession(handle.url);
      most = Math.max(most, handle.openSessions());
    }
    expect(most).toBeLessThanOrEqual(cap);
    const after = heapAfterGc(gc);
    // Measure what one retained session costs, so the bound follows this machine and SDK version:
    // without eviction the 1,000 would add ~1,000 of these; allow growth worth 20% of that.
    const perSession = await costOfRetainedSessions(gc);
    console.log(
      `heap at cap ${(atCap / 1e6).toFixed(1)} MB, after 1,000 abandoned sessions ${(after / 1e6).toFixed(1)} MB; one retained session ≈ ${(perSession / 1e3).toFixed(0)} kB`,
    );
    expect(after - atCap).toBeLessThan(Math.max(200 * perSession, 4e6));
  }, 240_000);
});

/** Heap per session when sessions are kept (a cap larger than the count): the yardstick for the flat-memory check. */
async function costOfRetainedSessions(gc: () => void): Promise<number> {
  const count = 100;
  const keeper = await serveHttp({ hub: await fixtureHub(), maxSessions: count * 2 });
  try {
    await abandonSession(keeper.url);
    const before = heapAfterGc(gc);
    for (let i = 0; i < count; i++) await abandonSession(keeper.url);
    const after = heapAfterGc(gc);
    expect(keeper.openSessions()).toBe(count + 1);
    return Math.max((after - before) / count, 1);
  } finally {
    await keeper.close();
  }
}
