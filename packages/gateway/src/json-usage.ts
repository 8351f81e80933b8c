/**
 * Usage and model of a JSON Messages answer, read without parsing the whole body: the API writes
 * `usage` as the last member of the message and `model` among the first, before the content that
 * makes up most of the bytes. Each shortcut proves itself or gives way to a full parse:
 *
 * - `usage`: the last `"usage":` outside any string is a key (inside a JSON string every quote is
 *   escaped), and `{` plus the rest of the body parses as JSON only if that key sits in the
 *   top-level object (a nested one would leave closing brackets over).
 * - `model`: taken only when the body opens with nothing but short string members (`id`, `type`,
 *   `role`) before it.
 */
export function readJsonUsage(body: Buffer): { usage: unknown; model: string | undefined } | undefined {
  const tail = tailUsage(body);
  const head = HEAD_MODEL.exec(body.toString('utf8', 0, Math.min(body.length, HEAD_BYTES)));
  if (tail !== undefined && head !== null) return { usage: tail, model: head[1] };
  try {
    const message = JSON.parse(body.toString('utf8')) as { usage?: unknown; model?: unknown };
    if (typeof message !== 'object' || message === null) return undefined;
    return { usage: message.usage, model: typeof message.model === 'string' ? message.model : undefined };
  } catch {
    return undefined;
  }
}

const USAGE_KEY = Buffer.from('"usage":');
/** Enough for the members that come before `model` (a message id is about 30 characters). */
const HEAD_BYTES = 512;
const HEAD_MODEL = /^\s*\{\s*(?:"(?:id|type|role)"\s*:\s*"[^"\\]*"\s*,\s*)*"model"\s*:\s*"([^"\\]+)"/;

function tailUsage(body: Buffer): unknown {
  const at = body.lastIndexOf(USAGE_KEY);
  if (at < 0) return undefined;
  try {
    const parsed = JSON.parse(`{${body.toString('utf8', at)}`) as { usage?: unknown };
    return parsed.usage;
  } catch {
    return undefined;
  }
}
