import { describe, expect, it } from 'vitest';
import { scrubberFor } from '../src/read-model.js';
import { jsonResult } from '../src/tool-result.js';
import { fixtureHub, SECRET_KEY } from './fixtures/hub.js';

describe('tool results', () => {
  it('scrub a secret from both the text and the structured content', async () => {
    const scrub = scrubberFor(await fixtureHub());
    const result = jsonResult({ note: `leaked ${SECRET_KEY} here`, nested: { again: SECRET_KEY } }, scrub);
    const text = (result.content[0] as { text: string }).text;
    expect(text).not.toContain(SECRET_KEY);
    expect(JSON.stringify(result.structuredContent)).not.toContain(SECRET_KEY);
    expect(result.structuredContent).toEqual({ note: 'leaked [redacted] here', nested: { again: '[redacted]' } });
    expect(JSON.parse(text)).toEqual(result.structuredContent);
  });

  it('carry compact JSON text equal to the structured content when there is nothing to scrub', async () => {
    const scrub = scrubberFor(await fixtureHub());
    const value = { pools: [{ id: 'trial', remainingUsd: '10' }] };
    const result = jsonResult(value, scrub);
    expect((result.content[0] as { text: string }).text).toBe('{"pools":[{"id":"trial","remainingUsd":"10"}]}');
    expect(result.structuredContent).toEqual(value);
  });
});
