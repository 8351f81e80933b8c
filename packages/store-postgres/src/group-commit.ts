/** One call waiting for its batch: what to apply and how to answer its caller. */
interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/** What the batch function returns for each item, in the order the items were given. */
export type ItemOutcome<Result> = { ok: Result } | { error: unknown };

export interface GroupCommitOptions<Item, Result> {
  /**
   * Applies items in one transaction and resolves only after it committed, with one outcome per
   * item in order. Rejects if the transaction as a whole failed (nothing of it was committed).
   */
  apply(items: Item[]): Promise<Array<ItemOutcome<Result>>>;
  /** Most items in one transaction. */
  maxBatch: number;
  /** Most transactions in flight at once; calls arriving meanwhile wait and form the next batch. */
  maxInFlight: number;
  /** Sort key for lock order: items are applied grouped by it, calls with the same key in call order. */
  lockKey(item: Item): string;
}

/**
 * Group commit: concurrent calls from this process share one round trip and one commit. A call
 * waits at most for the batch ahead of it; every caller gets its own outcome, and only after the
 * transaction that holds its change has committed. A batch that fails as a whole rejects every
 * caller in it, so nothing is dropped silently.
 */
export function createGroupCommit<Item, Result>(options: GroupCommitOptions<Item, Result>) {
  const queue: Array<Waiting<Item, Result>> = [];
  let inFlight = 0;
  let scheduled = false;
  const idle: Array<() => void> = [];

  const flush = async (): Promise<void> => {
    scheduled = false;
    if (inFlight >= options.maxInFlight || queue.length === 0) return;
    // Stable sort: one account's calls keep their call order; accounts are locked in one global order.
    const batch = queue.splice(0, options.maxBatch).sort((a, b) => {
      const x = options.lockKey(a.item);
      const y = options.lockKey(b.item);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    inFlight++;
    schedule(); // more calls than one batch holds: start the next while this one runs
    try {
      const outcomes = await options.apply(batch.map((w) => w.item));
      if (outcomes.length !== batch.length)
        throw new Error(`a batch of ${batch.length} calls returned ${outcomes.length} results`);
      batch.forEach((waiting, i) => {
        const outcome = outcomes[i]!;
        if ('ok' in outcome) waiting.resolve(outcome.ok);
        else waiting.reject(outcome.error);
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      inFlight--;
      schedule();
      if (inFlight === 0 && queue.length === 0) for (const done of idle.splice(0)) done();
    }
  };

  function schedule(): void {
    if (scheduled || inFlight >= options.maxInFlight || queue.length === 0) return;
    scheduled = true;
    // After this turn's other calls have queued, so they share the transaction.
    setImmediate(() => void flush());
  }

  return {
    submit(item: Item): Promise<Result> {
      return new Promise<Result>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    /** Resolves once every call submitted so far has been answered. */
    settled(): Promise<void> {
      if (inFlight === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}
