import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSessionMeter, ZERO_COUNTS, type ModelCounts } from '../src/agent-sdk/index.js';
import { apiKey, budget, createHub, memoryStore, silentLogger, usd, type Hub, type LedgerStore } from '../src/index.js';

const sonnet = (input: number, output: number, cost = 0): ModelCounts => ({ ...ZERO_COUNTS, input, output, cost });

describe('session meter', () => {
  let store: LedgerStore;
  let hub: Hub;
  beforeEach(async () => {
    store = memoryStore();
    hub = await createHub({
      store,
      logger: silentLogger,
      plugins: [apiKey({ id: 'bundled', key: 'sk-ant-bundled-0001' }), budget({ id: 'trial', amount: '10' })],
      route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
    });
  });
  afterEach(async () => {
    await hub.close();
    await store.close();
  });
  const meterOf = (unknownModel?: 'reported-cost' | 'error') =>
    createSessionMeter({
      hub,
      entry: 'trial',
      namespace: 'test.session',
      owner: 'test',
      ...(unknownModel && { unknownModel }),
    });
  const price = (input: number, output: number) =>
    hub.rateCard.price('claude-sonnet-4-5', { input_tokens: input, output_tokens: output }).total;

  it('charges each reading the delta from the session baseline, and a replayed reading nothing', async () => {
    const meter = meterOf();
    const first = { total: usd('0.01'), models: { 'claude-sonnet-4-5': sonnet(1000, 100) } };
    expect(await meter.advance('s', first, { key: 'k1', messageId: 'm1' })).toMatchObject({
      status: 'charged',
      cost: price(1000, 100),
    });
    const second = { total: usd('0.03'), models: { 'claude-sonnet-4-5': sonnet(3000, 300) } };
    expect(await meter.advance('s', second, { key: 'k2', messageId: 'm2' })).toMatchObject({ cost: price(2000, 200) });
    expect(await meter.advance('s', second, { key: 'k2', messageId: 'm2' })).toMatchObject({ status: 'duplicate' });
    expect(meter.charged).toBe(price(3000, 300));
  });

  it('charges a session never seen only the part of its reading the agent made, and names the parent it matches', async () => {
    const meter = meterOf();
    await meter.advance(
      'parent',
      { total: usd('0.01'), models: { 'claude-sonnet-4-5': sonnet(1000, 100) } },
      { key: 'p1' },
    );
    // A fork: cumulative figures include the parent's 1,000/100; this process made 500/50.
    const fork = await meter.advance(
      'fork',
      { total: usd('0.02'), models: { 'claude-sonnet-4-5': sonnet(1500, 150) } },
      { key: 'f1', fresh: { 'claude-sonnet-4-5': sonnet(500, 50) } },
    );
    expect(fork).toMatchObject({ cost: price(500, 50), forkOf: 'parent' });
    // A new session whose reading is all its own is charged in full.
    const plain = await meter.advance(
      'plain',
      { total: usd('0.01'), models: { 'claude-sonnet-4-5': sonnet(700, 70) } },
      { key: 'n1', fresh: { 'claude-sonnet-4-5': sonnet(700, 70) } },
    );
    expect(plain).toMatchObject({ cost: price(700, 70) });
    expect(plain.forkOf).toBeUndefined();
  });

  it("charges a model the card does not know the agent's own cost, or refuses it", async () => {
    const unit = { key: 'u1', model: 'claude-future-9', counts: sonnet(10, 10, usd('0.5')) };
    expect(meterOf().prices('claude-future-9')).toBe(false);
    expect(meterOf().prices('claude-sonnet-4-5')).toBe(true);
    await expect(meterOf('error').charge(unit)).rejects.toMatchObject({ code: 'DRAWDOWN_UNKNOWN_MODEL' });
    expect(await meterOf().charge(unit)).toMatchObject({ status: 'settled', cost: usd('0.5') });
  });

  it('reads a baseline stored by an older ACP tap, and covers without charging', async () => {
    await store.setState('test.session.old', { covered: '0.25', parent: 'p' });
    const meter = meterOf();
    expect(await meter.baseline('old')).toMatchObject({ total: usd('0.25'), forkOf: 'p' });
    await meter.cover('old', { total: usd('0.4'), models: {} });
    expect(await meter.advance('old', { total: usd('0.5'), models: {} }, { key: 'o1' })).toMatchObject({
      cost: usd('0.1'),
    });
  });

  it('refuses bad options, naming the field', () => {
    expect(() =>
      createSessionMeter({ hub, entry: 'trial', namespace: 'x', owner: 'test', unknownModel: 'guess' as 'error' }),
    ).toThrow(
      expect.objectContaining({
        code: 'DRAWDOWN_INVALID_OPTION',
        data: expect.objectContaining({ field: 'unknownModel' }),
      }),
    );
    expect(() => createSessionMeter({ hub, entry: 'nowhere', namespace: 'x', owner: 'test' })).toThrow(
      expect.objectContaining({ code: 'DRAWDOWN_UNKNOWN_REFERENCE' }),
    );
    expect(() => meterOf().expectFork('')).toThrow(expect.objectContaining({ code: 'DRAWDOWN_INVALID_OPTION' }));
  });
});
