import { Transform, type Readable, type Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parseJSONRPCMessage, ProtocolErrorCode } from '@modelcontextprotocol/server';

/** A line longer than this without a newline is dropped (as the SDK's own read buffer would). */
const MAX_LINE_BYTES = 10 * 1024 * 1024;

export interface ScreenOptions {
  /** Where replies to junk go: the same stream the transport writes protocol messages to. */
  output: Writable;
  /** One short line per junk input, for stderr. */
  note: (line: string) => void;
}

type Verdict = { ok: true } | { ok: false; code: number; message: string; id: string | number | null; note: string };

function judge(line: string): Verdict {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return {
      ok: false,
      code: ProtocolErrorCode.ParseError,
      id: null,
      message: 'Parse error: each stdio line must be one JSON-RPC 2.0 message',
      note: `a line that is not JSON (${line.length} characters)`,
    };
  }
  try {
    parseJSONRPCMessage(value);
    return { ok: true };
  } catch {
    const id =
      typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { id?: unknown }).id : undefined;
    const what = Array.isArray(value) ? 'a JSON-RPC batch (not supported)' : 'JSON that is not a JSON-RPC 2.0 message';
    return {
      ok: false,
      code: ProtocolErrorCode.InvalidRequest,
      id: typeof id === 'string' || typeof id === 'number' ? id : null,
      message: `Invalid Request: expected one JSON-RPC 2.0 message ({"jsonrpc":"2.0", "method" or "result"/"error", ...}), got ${what}`,
      note: `${what} (${line.length} characters)`,
    };
  }
}

/**
 * Screens stdin line by line before the SDK's stdio transport reads it. The transport drops a line
 * it cannot parse and reports a long validation dump; JSON-RPC asks for an answer instead. Lines
 * that are not JSON get a -32700 reply with id null, JSON that is not a JSON-RPC message gets
 * -32600 (with its id when it has a usable one), and each gets one short line on stderr. Valid
 * messages pass through untouched, in order.
 */
export function screenStdin(input: Readable, options: ScreenOptions): Readable {
  let pending = '';
  // Decodes across chunk boundaries, so a character split between two reads stays whole.
  const decoder = new StringDecoder('utf8');
  const reject = (verdict: Exclude<Verdict, { ok: true }>): void => {
    options.output.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: verdict.id, error: { code: verdict.code, message: verdict.message } })}\n`,
    );
    options.note(`mcp stdio: ignored ${verdict.note}; answered ${verdict.code}`);
  };
  const screen = (line: string, push: (line: string) => void): void => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim() === '') return;
    const verdict = judge(text);
    if (verdict.ok) push(`${text}\n`);
    else reject(verdict);
  };
  const screened = new Transform({
    decodeStrings: true,
    transform(chunk: Buffer, _encoding, done) {
      pending += decoder.write(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (pending.length > MAX_LINE_BYTES) {
        reject({
          ok: false,
          code: ProtocolErrorCode.ParseError,
          id: null,
          message: `Parse error: a line longer than ${MAX_LINE_BYTES} bytes was dropped`,
          note: 'an over-long line',
        });
        pending = '';
      }
      for (const line of lines) screen(line, (text) => this.push(text));
      done();
    },
    flush(done) {
      pending += decoder.end();
      if (pending !== '') screen(pending, (text) => this.push(text));
      pending = '';
      done();
    },
  });
  input.on('error', (error) => screened.destroy(error));
  return input.pipe(screened);
}
