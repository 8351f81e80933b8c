import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/index.js';
import { createEventBus } from '../src/events.js';

describe('event bus', () => {
  it('forgets a listener once it is removed, so listeners added and removed per connection do not pile up', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const bus = createEventBus(silentLogger);
    const finalized: string[] = [];
    const registry = new FinalizationRegistry<string>((name) => finalized.push(name));
    (() => {
      for (let i = 0; i < 50; i++) {
        // Each listener holds a large object, as a per-connection server would.
        const held = new Array(10_000).fill(i);
        const listener = () => void held.length;
        registry.register(listener, `listener ${i}`);
        const stop = bus.on('ledger.changed', listener);
        stop();
      }
    })();
    expect(bus.listenerCount('ledger.changed')).toBe(0);
    return new Promise<void>((resolve, reject) => {
      let tries = 0;
      const check = (): void => {
        gc();
        if (finalized.length > 0) resolve();
        else if (++tries > 50) reject(new Error('no removed listener was ever collected: the bus still holds them'));
        else setTimeout(check, 20);
      };
      check();
    });
  });
});
