import pg from 'pg';
import type { LedgerChange } from '@drawdown/core';
import { channelOf } from './migrations.js';

interface ListenerOptions {
  pool: pg.Pool;
  schema: string;
  /** This store object's id: its own notifications were already delivered as `local`. */
  writer: string;
  deliver(change: LedgerChange): void;
  onError(error: unknown): void;
}

/**
 * Holds one connection (outside the pool) that LISTENs on the schema's channel, and delivers
 * every other writer's change as `remote`. Reconnects after a dropped connection; changes made
 * while it was down are not replayed, so it announces an account-less `state` change on
 * reconnect to make the hub re-read everything.
 */
export function createListener(options: ListenerOptions) {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let connected = false;

  const connect = async (): Promise<void> => {
    const next = new pg.Client(options.pool.options);
    next.on('notification', (message) => {
      if (!message.payload) return;
      // One notification per transaction: {"w": writer, "c": [[account, kind, key], ...]}.
      const announced = JSON.parse(message.payload) as {
        w: string;
        c: Array<[string | null, LedgerChange['kind'], string | null]>;
      };
      if (announced.w === options.writer) return;
      for (const [account, kind, key] of announced.c) {
        options.deliver({ ...(account !== null && { account }), kind, ...(key !== null && { key }), origin: 'remote' });
      }
    });
    next.on('error', (error) => {
      options.onError(error);
      reconnect(next);
    });
    next.on('end', () => reconnect(next));
    await next.connect();
    await next.query(`LISTEN "${channelOf(options.schema)}"`);
    if (stopped) {
      await next.end();
      return;
    }
    client = next;
    if (connected) options.deliver({ kind: 'state', origin: 'remote' });
    connected = true;
  };

  const reconnect = (failed: pg.Client): void => {
    if (stopped || client !== failed) return;
    client = undefined;
    retry = setTimeout(
      () =>
        void connect().catch((error) => {
          options.onError(error);
          client = failed; // so the next failure schedules another attempt
          reconnect(failed);
        }),
      1000,
    );
    retry.unref();
  };

  return {
    start: connect,
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
