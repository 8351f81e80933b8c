/**
 * Splits a byte stream into lines, each handed over with its own bytes (newline included), so a
 * forwarder can pass whole lines on untouched and never interleave another writer's line with a
 * partial one. `end()` hands over a last line without a newline.
 */
export function lineSplitter(onLine: (bytes: Buffer) => void): { push(chunk: Buffer): void; end(): void } {
  let pending: Buffer[] = [];
  return {
    push(chunk) {
      let start = 0;
      let newline = chunk.indexOf(0x0a);
      while (newline !== -1) {
        const piece = chunk.subarray(start, newline + 1);
        onLine(pending.length > 0 ? Buffer.concat([...pending, piece]) : piece);
        pending = [];
        start = newline + 1;
        newline = chunk.indexOf(0x0a, start);
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    },
    end() {
      if (pending.length > 0) onLine(Buffer.concat(pending));
      pending = [];
    },
  };
}

/** One line of newline-delimited JSON, parsed; `undefined` for a blank line, `invalid` for one that is not JSON. */
export function parseJsonLine(bytes: Buffer): { message: unknown } | 'blank' | 'invalid' {
  const text = bytes.toString('utf8').trim();
  if (text === '') return 'blank';
  try {
    return { message: JSON.parse(text) };
  } catch {
    return 'invalid';
  }
}

/**
 * Splits a byte stream into newline-delimited JSON messages for reading only: the bytes themselves
 * are forwarded untouched elsewhere. A line that is not JSON is handed to `onInvalid` and skipped.
 */
export function jsonLineReader(
  onMessage: (message: unknown) => void,
  onInvalid?: (line: string) => void,
): { push(chunk: Buffer): void; end(): void } {
  return lineSplitter((bytes) => {
    const parsed = parseJsonLine(bytes);
    if (parsed === 'invalid') onInvalid?.(bytes.toString('utf8').trim());
    else if (parsed !== 'blank') onMessage(parsed.message);
  });
}
