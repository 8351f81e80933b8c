import { describe, expect, it } from 'vitest';
import { readJsonUsage } from '../src/json-usage.js';

const USAGE = { input_tokens: 1200, cache_read_input_tokens: 4000, output_tokens: 40 };
const message = (content: unknown[], extra: Record<string, unknown> = {}) => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content,
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: USAGE,
  ...extra,
});
const read = (value: unknown) => readJsonUsage(Buffer.from(JSON.stringify(value)));

describe('readJsonUsage', () => {
  it('reads usage and model from the ends of the body, without parsing the content between', () => {
    // The content here is not even JSON: only the head and the tail are read.
    const body = Buffer.from(
      '{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[not json],' +
        `"usage":${JSON.stringify(USAGE)}}`,
    );
    expect(readJsonUsage(body)).toEqual({ usage: USAGE, model: 'claude-haiku-4-5' });
  });

  it('finds the top-level usage behind content that mentions usage, in text and as a tool input key', () => {
    const content = [
      { type: 'text', text: 'the "usage": {"output_tokens": 999} of it' },
      { type: 'tool_use', id: 't', name: 'n', input: { usage: { output_tokens: 999 } } },
    ];
    expect(read(message(content))).toEqual({ usage: USAGE, model: 'claude-sonnet-4-5-20250929' });
  });

  it('parses the whole body when usage is not the last member or model not among the first', () => {
    const toolLast = [{ type: 'tool_use', id: 't', name: 'n', input: { usage: { output_tokens: 999 } } }];
    const { usage, ...rest } = message(toolLast);
    // usage first, a tool input's "usage" key last: the tail alone would name the wrong one.
    expect(read({ usage, ...rest })).toEqual({ usage: USAGE, model: 'claude-sonnet-4-5-20250929' });
    const { model, ...withoutModel } = message([]);
    expect(read({ ...withoutModel, model })).toEqual({ usage: USAGE, model });
    expect(read(message([], { container: null }))).toEqual({ usage: USAGE, model: 'claude-sonnet-4-5-20250929' });
  });

  it('answers undefined for a body that is not a JSON object, and no usage for one without it', () => {
    expect(readJsonUsage(Buffer.from('upstream exploded'))).toBeUndefined();
    expect(readJsonUsage(Buffer.from('null'))).toBeUndefined();
    const { usage: _usage, ...withoutUsage } = message([{ type: 'text', text: 'hi' }]);
    expect(read(withoutUsage)).toEqual({ usage: undefined, model: 'claude-sonnet-4-5-20250929' });
  });
});
