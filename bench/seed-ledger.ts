import { DatabaseSync } from 'node:sqlite';

/**
 * Writes `pairs` settled charges and their holds for `account` straight into a SQLite ledger in
 * one transaction, one millisecond apart going back from `now`, with the matching lifetime rollup:
 * a ledger of 2 × `pairs` entries in seconds, where the store's API would take minutes.
 */
export function seedSettledCharges(
  file: string,
  { account, pairs, cost, now }: { account: string; pairs: number; cost: number; now: number },
): void {
  const db = new DatabaseSync(file);
  db.exec('BEGIN IMMEDIATE');
  try {
    // Columns named, so a column added later (with its default) does not break the seed.
    const hold = db.prepare(
      `INSERT INTO holds (account, key, amount, state, created_at, expires_at, scopes, day, meta)
       VALUES (?, ?, ?, 'settled', ?, ?, '[]', '2026-11-23', '{}')`,
    );
    const charge = db.prepare(
      `INSERT INTO charges (account, key, cost, held, settled_at, day, overdraft, model, route, input_tokens,
         output_tokens, cache_read_tokens, cache_write_tokens, meta)
       VALUES (?, ?, ?, ?, ?, '2026-11-23', 0, 'claude-haiku-4-5', 'trial', 10, 5, 0, 0, '{}')`,
    );
    for (let i = 0; i < pairs; i++) {
      const key = `seed-${i}`;
      hold.run(account, key, cost, now - i, now - i + 60_000);
      charge.run(account, key, cost, cost, now - i);
    }
    db.prepare(`INSERT INTO rollups (account, scope, settled) VALUES (?, 'lifetime', ?)`).run(account, cost * pairs);
    db.exec('COMMIT');
  } finally {
    db.close(); // a failed seed is never committed: closing rolls it back
  }
}
