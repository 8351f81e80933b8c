import { describe, expect, it } from 'vitest';
import { createSseUsageReader } from '../src/index.js';

// A streamed answer as the API sends it; the model name carries a multi-byte character so a split
// inside it must be joined before decoding.
const STREAM = [
  'event: message_start',
  'data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-é","content":[],"usage":{"input_tokens":1200,"cache_read_input_tokens":4000,"output_tokens":1}}}',
  '',
  'event: content_block_delta',
  'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Grüße, \\"usage\\": {\\"output_tokens\\": 999}"}}',
  '',
  'event: message_delta',
  'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":40}}',
  '',
  'event: message_stop',
  'data: {"type":"message_stop"}',
  '',
  '',
];

function read(chunks: Buffer[]) {
  const reader = createSseUsageReader();
  for (const chunk of chunks) reader.push(chunk);
  return { usage: reader.usage, model: reader.model, complete: reader.complete, error: reader.error };
}

describe('createSseUsageReader', () => {
  const bytes = Buffer.from(STREAM.join('\n'), 'utf8');
  const whole = read([bytes]);

  it('reads the usage of message_start and the last message_delta, not text that looks like usage', () => {
    expect(whole).toMatchObject({
      usage: { input_tokens: 1200, cache_read_input_tokens: 4000, output_tokens: 40 },
      model: 'claude-sonnet-4-5-é',
      complete: true,
      error: undefined,
    });
  });

  it('reads the same however the bytes are split into chunks, even inside a multi-byte character', () => {
    for (let cut = 1; cut < bytes.length; cut++)
      expect(read([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(whole);
    expect(read([...bytes].map((b) => Buffer.from([b])))).toEqual(whole);
  });

  it('reads CRLF line ends like LF', () => {
    expect(read([Buffer.from(STREAM.join('\r\n'), 'utf8')])).toEqual(whole);
  });

  it('remembers an error event, and ignores a malformed usage event', () => {
    const broken = read([
      Buffer.from(
        'event: message_start\ndata: {not json\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
      ),
    ]);
    expect(broken).toMatchObject({
      usage: undefined,
      complete: false,
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
  });
});
