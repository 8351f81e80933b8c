import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A redirect that reached the loopback listener, and how to answer the browser that sent it. */
export interface LoopbackCallback {
  url: URL;
  /** Answers the browser once the login has succeeded or failed. */
  respond(outcome: { ok: boolean; message: string }): void;
}

export interface LoopbackListener {
  redirectUri: string;
  /** Resolves with the first request to the callback path that carries `code` or `error`. */
  callback: Promise<LoopbackCallback>;
  close(): Promise<void>;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(outcome: { ok: boolean; message: string }): string {
  const title = outcome.ok ? 'Signed in' : 'Sign-in failed';
  return `<!doctype html><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>${escapeHtml(outcome.message)}</p>`;
}

/**
 * Listens on 127.0.0.1 (RFC 8252 §7.3: a loopback IP literal, any port) for the authorization
 * server's redirect. Port 0 picks a free port.
 */
export async function listenForRedirect(port: number, path = '/callback'): Promise<LoopbackListener> {
  let deliver!: (callback: LoopbackCallback) => void;
  const callback = new Promise<LoopbackCallback>((resolve) => (deliver = resolve));
  let delivered = false;

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', redirectUri);
    const carriesResult = url.searchParams.has('code') || url.searchParams.has('error');
    if (request.method !== 'GET' || url.pathname !== path || !carriesResult) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (delivered) {
      response
        .writeHead(409, { 'content-type': 'text/html; charset=utf-8' })
        .end(page({ ok: false, message: 'This sign-in was already completed; return to the terminal.' }));
      return;
    }
    delivered = true;
    deliver({
      url,
      respond(outcome) {
        response
          .writeHead(outcome.ok ? 200 : 400, {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
          })
          .end(page(outcome));
      },
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

  return {
    redirectUri,
    callback,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets go now; a browser still reading the answer gets a moment.
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
