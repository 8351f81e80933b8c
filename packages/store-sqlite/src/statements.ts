import { prepareValue, type Database, type Statement, type ValueStatement } from './driver.js';

/** Every statement the ledger runs, prepared once per connection. */
export function sqlStatements(db: Database) {
  const p = (sql: string): Statement => db.prepare(sql);
  const value = (sql: string): ValueStatement => prepareValue(db, sql);
  return {
    hold: p('SELECT * FROM holds WHERE account = ? AND key = ?'),
    insertHold: p(
      `INSERT INTO holds (account, key, amount, state, created_at, expires_at, scopes, day, meta, limit_accounts) VALUES (?, ?, ?, 'held', ?, ?, ?, ?, ?, ?)`,
    ),
    setHoldState: p('UPDATE holds SET state = ? WHERE account = ? AND key = ?'),
    releaseHeld: p(`UPDATE holds SET state = 'released' WHERE account = ? AND key = ? AND state = 'held'`),
    activeHolds: p(
      `SELECT coalesce(sum(amount), 0) AS sum, count(*) AS count FROM holds WHERE account = ? AND state = 'held' AND expires_at > ?`,
    ),

    charge: p('SELECT * FROM charges WHERE account = ? AND key = ?'),
    insertCharge:
      p(`INSERT INTO charges (account, key, cost, held, settled_at, day, overdraft, model, route, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, meta)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    allocations: p('SELECT grant_id, amount FROM allocations WHERE account = ? AND key = ? ORDER BY seq'),
    insertAllocation: p('INSERT INTO allocations (account, key, seq, grant_id, amount) VALUES (?, ?, ?, ?, ?)'),

    account: p('SELECT overdraft, has_grants FROM accounts WHERE account = ?'),
    markHasGrants: p(`INSERT INTO accounts (account, overdraft, has_grants) VALUES (?, 0, 1)
      ON CONFLICT (account) DO UPDATE SET has_grants = 1, overdraft = overdraft - ?`),
    addOverdraft: p(`INSERT INTO accounts (account, overdraft, has_grants) VALUES (?, ?, 1)
      ON CONFLICT (account) DO UPDATE SET overdraft = overdraft + excluded.overdraft`),

    grant: p('SELECT * FROM grants WHERE account = ? AND grant_id = ?'),
    grantsWithFunds: p(
      'SELECT * FROM grants WHERE account = ? AND remaining > 0 AND (expires_at IS NULL OR expires_at > ?)',
    ),
    insertGrant: p(
      `INSERT INTO grants (account, grant_id, kind, priority, amount, remaining, created_at, expires_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    drawGrant: p('UPDATE grants SET remaining = remaining - ? WHERE account = ? AND grant_id = ?'),

    rollup: value('SELECT settled FROM rollups WHERE account = ? AND scope = ?'),
    addToRollup: value(`INSERT INTO rollups (account, scope, settled) VALUES (?, ?, ?)
      ON CONFLICT (account, scope) DO UPDATE SET settled = settled + excluded.settled RETURNING settled`),

    allHolds: p('SELECT * FROM holds WHERE ? IS NULL OR account = ? ORDER BY account, created_at, key'),
    allCharges: p('SELECT * FROM charges WHERE ? IS NULL OR account = ? ORDER BY account, settled_at, key'),
    allGrants: p('SELECT * FROM grants WHERE ? IS NULL OR account = ? ORDER BY account, created_at, grant_id'),

    spendHours: p(
      'SELECT hour, charges, cost, first_at, first_cost, last_at, cost_ms FROM spend_hours WHERE account = ? AND hour > ? AND first_at > ? ORDER BY hour',
    ),

    getState: value('SELECT value FROM state WHERE key = ?'),
    setState: p('INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    takeLease: p(`INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE leases.owner = ? OR leases.expires_at <= ?`),
    dropLease: p('DELETE FROM leases WHERE name = ? AND owner = ?'),

    windowCount: value('SELECT count FROM rate_windows WHERE name = ? AND window_start = ?'),
    addToWindow: p(`INSERT INTO rate_windows (name, window_start, count) VALUES (?, ?, ?)
      ON CONFLICT (name, window_start) DO UPDATE SET count = count + excluded.count`),
    pruneWindows: p('DELETE FROM rate_windows WHERE name = ? AND window_start < ?'),
    newerWindow: value('SELECT 1 FROM rate_windows WHERE name = ? AND window_start > ?'),

    logChange: p('INSERT INTO changes (writer, account, kind, key) VALUES (?, ?, ?, ?)'),
    pruneChanges: p('DELETE FROM changes WHERE seq <= ?'),
    changesSince: p('SELECT seq, writer, account, kind, key FROM changes WHERE seq > ? ORDER BY seq'),
    lastChange: value('SELECT coalesce(max(seq), 0) FROM changes'),
  } satisfies Record<string, Statement | ValueStatement>;
}

export type SqlStatements = ReturnType<typeof sqlStatements>;
