import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { responseHeaders } from './http.js';
import { createSseUsageReader } from './sse-usage.js';

export type SseUsage = ReturnType<typeof createSseUsageReader>;

/**
 * Pipes the SSE body to the client unchanged, chunk by chunk with backpressure, reading usage as
 * it passes. Resolves with what was read when the stream ends, breaks or the client leaves (the
 * API bills what it generated, so an early end is settled from the usage reported so far).
 */
export function pipeStream(
  res: ServerResponse,
  response: Dispatcher.ResponseData,
  gone: () => boolean,
  abort: AbortController,
): Promise<SseUsage> {
  const reader = createSseUsageReader();
  if (!gone()) {
    res.writeHead(response.statusCode, responseHeaders(response.headers));
    res.flushHeaders();
  }
  const body = response.body;
  return new Promise<SseUsage>((resolve) => {
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      res.off('drain', onDrain);
      resolve(reader);
    };
    const onDrain = (): void => void body.resume();
    res.on('drain', onDrain);
    res.once('close', () => {
      if (!res.writableFinished) {
        abort.abort();
        body.destroy();
        end();
      }
    });
    body.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      if (!gone() && !res.write(chunk)) body.pause();
    });
    body.once('end', () => {
      if (!gone()) res.end();
      end();
    });
    body.once('error', () => {
      // Upstream broke off midway: the client sees the connection end, as it would from the API.
      if (!gone()) res.destroy();
      end();
    });
  });
}
