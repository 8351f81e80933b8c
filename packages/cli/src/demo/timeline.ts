import { formatUsd, type Hub } from '@drawdown/core';
import '@drawdown/plugin-credits';
import { fitText } from '../render/status.js';
import { formatCount } from '../render/table.js';
import { paint, type Terminal } from '../render/terminal.js';

export interface Timeline {
  /** A numbered step of the story, as a heading. */
  step(title: string): void;
  /** A line of narration under the current step. */
  say(text: string): void;
  /** Prints every hub event worth following, as it happens. Returns the unsubscribe function. */
  follow(hub: Hub): () => void;
}

/** The demo's output: numbered steps, and under them each event with the time since the start. */
export function createTimeline(term: Terminal, now: () => number = Date.now): Timeline {
  const start = now();
  let steps = 0;
  const elapsed = (): string => `+${((now() - start) / 1000).toFixed(2)}s`.padStart(8);
  // Long details (a refusal, a reason) wrap under the event name, so every line fits the terminal.
  const under = ' '.repeat(12);
  const event = (
    name: string,
    pool: string,
    detail: string,
    style: 'green' | 'yellow' | 'red' | 'cyan' = 'cyan',
  ): void =>
    term.out(
      fitText(
        `  ${paint(term, 'dim', elapsed())}  ${paint(term, style, name.padEnd(17))} ${pool.padEnd(8)} ${detail}`,
        term,
        under,
      ),
    );

  return {
    step(title) {
      steps += 1;
      term.out(`\n${paint(term, 'bold', fitText(`${steps}. ${title}`, term, '   '))}`);
    },
    say(text) {
      term.out(fitText(`  ${paint(term, 'dim', elapsed())}  ${text}`, term, under));
    },
    follow(hub) {
      const offs = [
        hub.on('request.routed', (e) =>
          event('request.routed', e.poolId, `${e.model ?? ''} held ${formatUsd(e.held)} · ${e.reason}`),
        ),
        hub.on('request.settled', (e) => {
          const b = e.breakdown;
          const tokens = b
            ? ` · ${b.lines.map((l) => `${formatCount(l.quantity)} ${l.category.replace('_', ' ')}`).join(', ')}`
            : '';
          event('request.settled', e.poolId, `${formatUsd(e.cost)} ${e.model ?? ''}${tokens}`, 'green');
        }),
        hub.on('request.failed', (e) => event('request.failed', e.poolId ?? '—', `${e.code}: ${e.message}`, 'red')),
        hub.on('route.switched', (e) =>
          event(
            'route.switched',
            '',
            `${e.from ?? '—'} → ${e.to}${e.sticky ? ' (for good)' : ''} · ${e.reason}`,
            'yellow',
          ),
        ),
        hub.on('budget.crossed', (e) =>
          event('budget.crossed', e.poolId, e.message, e.threshold >= 1 ? 'red' : 'yellow'),
        ),
        hub.on('pool.low', (e) => event('pool.low', e.poolId, e.message, 'yellow')),
        hub.on('pool.exhausted', (e) => event('pool.exhausted', e.poolId, e.message, 'red')),
        hub.on('pool.reset', (e) => event('pool.reset', e.poolId, e.status.summary, 'green')),
        hub.on('credits.granted', (e) => event('credits.granted', e.poolId, e.message, 'green')),
        hub.on('credits.reloaded', (e) => event('credits.reloaded', e.poolId, e.message, 'green')),
        hub.on('credits.reload_failed', (e) => event('credits.reload_failed', e.poolId, e.message, 'red')),
      ];
      return () => {
        for (const off of offs) off();
      };
    },
  };
}
