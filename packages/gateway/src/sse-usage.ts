import { createStreamUsage } from '@drawdown/core/anthropic';

const EVENTS_WITH_USAGE = new Set(['message_start', 'message_delta']);

/**
 * Reads usage out of an SSE byte stream as it passes through, without holding the stream back:
 * only the `data:` lines of `message_start` and `message_delta` are parsed (the text deltas, which
 * are most of the bytes, are skipped); `message_stop` marks the message complete; an `error` event
 * is remembered. Chunks may split lines anywhere.
 */
export function createSseUsageReader() {
  const usage = createStreamUsage();
  let pending = '';
  let event = '';
  let error: { type?: string; message?: string } | undefined;

  const line = (text: string): void => {
    if (text.startsWith('event:')) {
      event = text.slice(6).trim();
      if (event === 'message_stop') usage.observe({ type: 'message_stop' });
      return;
    }
    if (!text.startsWith('data:')) {
      if (text === '') event = '';
      return;
    }
    if (!EVENTS_WITH_USAGE.has(event) && event !== 'error') return;
    try {
      const data = JSON.parse(Buffer.from(text.slice(5), 'latin1').toString('utf8')) as {
        type: string;
        error?: { type?: string; message?: string };
      };
      if (event === 'error') error = data.error ?? {};
      else usage.observe(data);
    } catch {
      // A malformed event is the client's to see; the usage stays what the well-formed ones said.
    }
  };

  return {
    push(chunk: Buffer): void {
      const text = pending + chunk.toString('latin1');
      let start = 0;
      for (let end = text.indexOf('\n', start); end >= 0; end = text.indexOf('\n', start)) {
        const raw = text.slice(start, end);
        start = end + 1;
        // Only the usage events are decoded as UTF-8; the rest is looked at by prefix only.
        line(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
      }
      pending = text.slice(start);
    },
    get usage() {
      return usage.usage;
    },
    get model() {
      return usage.model;
    },
    get complete() {
      return usage.complete;
    },
    get error() {
      return error;
    },
  };
}
