import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createRequestGuard, guardedIncoming, guardedWeb, type GuardPolicy } from '../src/internal.js';

const server: GuardPolicy['server'] = {
  name: 'test server',
  hostHint: 'use the printed address',
  tokenHint: 'send the token',
};
const at = (host: string | undefined, extra: { origin?: string; token?: string } = {}) => ({
  host,
  origin: extra.origin,
  token: extra.token,
});

describe('the request guard shared by the gateway, MCP over HTTP and the dashboard', () => {
  it('lets a loopback request through and refuses a Host that names another server (DNS rebinding)', () => {
    const guard = createRequestGuard({ host: '127.0.0.1', server });
    expect(guard(at('127.0.0.1:8080'))).toBeUndefined();
    expect(guard(at('localhost:8080'))).toBeUndefined();
    expect(guard(at('[::1]:8080'))).toBeUndefined();
    expect(guard(at('evil.example:8080'))).toEqual({
      status: 403,
      code: 'DRAWDOWN_HOST_NOT_ALLOWED',
      message: 'test server: Host "evil.example:8080" is not this server\'s address',
      hint: 'use the printed address',
    });
    expect(guard(at(undefined))?.code).toBe('DRAWDOWN_HOST_NOT_ALLOWED');
  });

  it('takes the listed hosts instead of the loopback names, and any host on a wildcard bind with no list', () => {
    expect(
      createRequestGuard({ host: '127.0.0.1', allowedHosts: ['box.lan'], server })(at('box.lan:1')),
    ).toBeUndefined();
    expect(
      createRequestGuard({ host: '127.0.0.1', allowedHosts: ['box.lan'], server })(at('localhost:1'))?.status,
    ).toBe(403);
    expect(
      createRequestGuard({ host: '0.0.0.0', token: 't'.repeat(32), server })(at('anything', { token: 't'.repeat(32) })),
    ).toBeUndefined();
  });

  it('refuses a web page from another origin unless it is listed', () => {
    const guard = createRequestGuard({ host: '127.0.0.1', server });
    expect(guard(at('127.0.0.1', { origin: 'http://localhost:3000' }))).toBeUndefined();
    expect(guard(at('127.0.0.1', { origin: 'https://evil.example' }))).toMatchObject({
      status: 403,
      code: 'DRAWDOWN_ORIGIN_NOT_ALLOWED',
    });
    expect(guard(at('127.0.0.1', { origin: 'not a url' }))?.code).toBe('DRAWDOWN_ORIGIN_NOT_ALLOWED');
    const listed = createRequestGuard({ host: '127.0.0.1', allowedOrigins: ['https://app.example'], server });
    expect(listed(at('127.0.0.1', { origin: 'https://app.example' }))).toBeUndefined();
    const byName = createRequestGuard({ host: '127.0.0.1', allowedOrigins: ['app.example'], server });
    expect(byName(at('127.0.0.1', { origin: 'https://app.example' }))).toBeUndefined();
    expect(byName(at('127.0.0.1', { origin: 'https://app.example.evil' }))?.code).toBe('DRAWDOWN_ORIGIN_NOT_ALLOWED');
    expect(listed(at('127.0.0.1', { origin: 'http://localhost:3000' }))?.code).toBe('DRAWDOWN_ORIGIN_NOT_ALLOWED');
  });

  it('asks for the token with 401 when it is missing or wrong, and names where it goes', () => {
    const guard = createRequestGuard({ host: '127.0.0.1', token: 'secret-secret-secret', server });
    expect(guard(at('127.0.0.1', { token: 'secret-secret-secret' }))).toBeUndefined();
    for (const token of [undefined, 'wrong', 'secret-secret-secre']) {
      expect(guard(at('127.0.0.1', token === undefined ? {} : { token }))).toEqual({
        status: 401,
        code: 'DRAWDOWN_TOKEN_REQUIRED',
        message: 'test server: this server needs the access token it was started with',
        hint: 'send the token',
      });
    }
  });

  it('reads host, origin and token off a Node request and a web Request the same way', () => {
    const incoming = {
      headers: { host: '127.0.0.1:1', origin: 'http://localhost', authorization: 'Bearer abc', 'x-token': 'def' },
    } as unknown as IncomingMessage;
    expect(guardedIncoming(incoming, { bearer: true })).toEqual({
      host: '127.0.0.1:1',
      origin: 'http://localhost',
      token: 'abc',
    });
    expect(guardedIncoming(incoming, { header: 'X-Token' }).token).toBe('def');
    const web = new Request('http://127.0.0.1:1/', {
      headers: { host: '127.0.0.1:1', origin: 'http://localhost', authorization: 'Bearer abc', 'x-token': 'def' },
    });
    expect(guardedWeb(web, { bearer: true })).toEqual({
      host: '127.0.0.1:1',
      origin: 'http://localhost',
      token: 'abc',
    });
    expect(guardedWeb(web, { header: 'x-token' }).token).toBe('def');
    expect(guardedWeb(new Request('http://127.0.0.1:1/'), { bearer: true }).token).toBeUndefined();
  });
});
