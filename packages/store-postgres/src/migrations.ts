/**
 * Versioned migrations for one schema (`S` stands for the quoted schema name; `CHANNEL` for the
 * NOTIFY channel literal). Never edit a released migration: add the next one.
 *
 * Atomicity: every mutation is one call of a PL/pgSQL function (alone, or several in order in
 * one `apply_batch` transaction), and it first takes the account row's lock (`SELECT ... FOR UPDATE`). All
 * mutations of one account therefore run one after another, on every host, and each statement
 * after the lock sees everything committed before it (READ COMMITTED takes a fresh snapshot per
 * statement). No serialization failures, so no retries; the lock is held only for the few
 * microseconds the function runs inside the server, not across network round trips.
 * `pg_notify` in the same transaction announces the change only if it commits.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
CREATE TABLE S.accounts (
  account text PRIMARY KEY,
  overdraft bigint NOT NULL DEFAULT 0,
  has_grants boolean NOT NULL DEFAULT false
);

CREATE TABLE S.holds (
  account text NOT NULL,
  key text NOT NULL,
  amount bigint NOT NULL,
  state text NOT NULL CHECK (state IN ('held', 'settled', 'released')),
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  scopes text[] NOT NULL,
  day text NOT NULL,
  meta jsonb NOT NULL,
  PRIMARY KEY (account, key)
);
CREATE INDEX holds_active ON S.holds (account, state, expires_at) INCLUDE (amount);

CREATE TABLE S.charges (
  account text NOT NULL,
  key text NOT NULL,
  cost bigint NOT NULL,
  held bigint NOT NULL,
  settled_at bigint NOT NULL,
  day text NOT NULL,
  overdraft bigint NOT NULL,
  model text,
  route text,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cache_read_tokens bigint NOT NULL,
  cache_write_tokens bigint NOT NULL,
  meta jsonb NOT NULL,
  PRIMARY KEY (account, key)
);
CREATE INDEX charges_by_day ON S.charges (day);

CREATE TABLE S.allocations (
  account text NOT NULL,
  key text NOT NULL,
  seq int NOT NULL,
  grant_id text NOT NULL,
  amount bigint NOT NULL,
  PRIMARY KEY (account, key, seq)
);

CREATE TABLE S.grants (
  account text NOT NULL,
  grant_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('paid', 'promotional')),
  priority int NOT NULL,
  amount bigint NOT NULL,
  remaining bigint NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint,
  source text,
  PRIMARY KEY (account, grant_id)
);
CREATE INDEX grants_with_funds ON S.grants (account) WHERE remaining > 0;

CREATE TABLE S.rollups (
  account text NOT NULL,
  scope text NOT NULL,
  settled bigint NOT NULL,
  PRIMARY KEY (account, scope)
);

CREATE TABLE S.state (key text PRIMARY KEY, value jsonb NOT NULL);
CREATE TABLE S.leases (name text PRIMARY KEY, owner text NOT NULL, expires_at bigint NOT NULL);

-- Takes the account's lock: every mutation of one account runs after the previous one committed.
CREATE FUNCTION S.lock_account(p_account text) RETURNS S.accounts LANGUAGE plpgsql AS $fn$
DECLARE a S.accounts;
BEGIN
  INSERT INTO S.accounts (account) VALUES (p_account) ON CONFLICT DO NOTHING;
  SELECT * INTO a FROM S.accounts WHERE account = p_account FOR UPDATE;
  RETURN a;
END $fn$;

CREATE FUNCTION S.announce(p_writer text, p_account text, p_kind text, p_key text) RETURNS void LANGUAGE sql AS $fn$
  SELECT pg_notify(CHANNEL, json_build_object('w', p_writer, 'a', p_account, 'k', p_kind, 'key', left(p_key, 2000))::text);
$fn$;

CREATE FUNCTION S.live_grants(p_account text, p_now bigint) RETURNS SETOF S.grants LANGUAGE sql STABLE AS $fn$
  -- Drawdown order (compareGrants): priority, soonest expiry, promotional first, oldest, grant id.
  SELECT * FROM S.grants
  WHERE account = p_account AND remaining > 0 AND (expires_at IS NULL OR expires_at > p_now)
  ORDER BY priority, coalesce(expires_at, 9007199254740991), (kind = 'promotional') DESC, created_at, grant_id COLLATE "C";
$fn$;

CREATE FUNCTION S.reserve(p_writer text, p_account text, p_key text, p_amount bigint, p_ttl bigint, p_now bigint,
                          p_limits jsonb, p_scopes text[], p_day text, p_meta jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  a S.accounts; h S.holds; c S.charges; v_held bigint; lim jsonb; avail bigint;
BEGIN
  a := S.lock_account(p_account);
  SELECT * INTO h FROM S.holds WHERE account = p_account AND key = p_key;
  IF FOUND THEN
    RETURN jsonb_build_object('ok', true, 'replayed', true, 'hold', jsonb_build_object(
      'account', h.account, 'key', h.key, 'amount', h.amount, 'state', h.state, 'createdAt', h.created_at, 'expiresAt', h.expires_at));
  END IF;
  SELECT * INTO c FROM S.charges WHERE account = p_account AND key = p_key;
  IF FOUND THEN
    RETURN jsonb_build_object('ok', true, 'replayed', true, 'hold', jsonb_build_object(
      'account', c.account, 'key', c.key, 'amount', c.held, 'state', 'settled', 'createdAt', c.settled_at, 'expiresAt', c.settled_at));
  END IF;
  SELECT coalesce(sum(amount), 0) INTO v_held FROM S.holds WHERE account = p_account AND state = 'held' AND expires_at > p_now;
  FOR lim IN SELECT * FROM jsonb_array_elements(p_limits) LOOP
    IF lim->>'kind' = 'cap' THEN
      avail := (lim->>'cap')::bigint - coalesce((SELECT settled FROM S.rollups WHERE account = p_account AND scope = lim->>'scope'), 0) - v_held;
    ELSE
      avail := coalesce((SELECT sum(remaining) FROM S.live_grants(p_account, p_now)), 0) - a.overdraft - v_held;
    END IF;
    IF p_amount > avail THEN
      RETURN jsonb_build_object('ok', false, 'limit', lim->>'name', 'available', avail, 'requested', p_amount, 'resetsAt', lim->'resetsAt');
    END IF;
  END LOOP;
  INSERT INTO S.holds (account, key, amount, state, created_at, expires_at, scopes, day, meta)
  VALUES (p_account, p_key, p_amount, 'held', p_now, p_now + p_ttl, p_scopes, p_day, p_meta);
  PERFORM S.announce(p_writer, p_account, 'reserve', p_key);
  RETURN jsonb_build_object('ok', true, 'replayed', false, 'hold', jsonb_build_object(
    'account', p_account, 'key', p_key, 'amount', p_amount, 'state', 'held', 'createdAt', p_now, 'expiresAt', p_now + p_ttl));
END $fn$;

CREATE FUNCTION S.charge_json(c S.charges) RETURNS jsonb LANGUAGE sql STABLE AS $fn$
  SELECT jsonb_build_object('account', c.account, 'key', c.key, 'cost', c.cost, 'held', c.held, 'settledAt', c.settled_at, 'day', c.day,
    'overdraft', c.overdraft, 'allocations',
    coalesce((SELECT jsonb_agg(jsonb_build_object('grantId', grant_id, 'amount', amount) ORDER BY seq) FROM S.allocations WHERE account = c.account AND key = c.key), '[]'::jsonb));
$fn$;

CREATE FUNCTION S.totals(p_account text, p_scopes text[]) RETURNS jsonb LANGUAGE sql STABLE AS $fn$
  SELECT coalesce(jsonb_object_agg(s.scope, coalesce(r.settled, 0)), '{}'::jsonb)
  FROM unnest(p_scopes) AS s(scope) LEFT JOIN S.rollups r ON r.account = p_account AND r.scope = s.scope;
$fn$;

CREATE FUNCTION S.settle(p_writer text, p_account text, p_key text, p_cost bigint, p_now bigint,
                         p_meta jsonb, p_scopes text[], p_day text) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  a S.accounts; h S.holds; c S.charges; g S.grants; v_scopes text[]; v_meta jsonb; due bigint := p_cost; take bigint;
  v_seq int := 0; v_over bigint := 0; v_totals jsonb;
BEGIN
  a := S.lock_account(p_account);
  SELECT * INTO h FROM S.holds WHERE account = p_account AND key = p_key;
  v_scopes := CASE WHEN h.key IS NOT NULL THEN h.scopes ELSE coalesce(p_scopes, '{}') END;
  v_scopes := array_prepend('lifetime', array_remove(v_scopes, 'lifetime'));
  SELECT * INTO c FROM S.charges WHERE account = p_account AND key = p_key;
  IF FOUND THEN
    RETURN jsonb_build_object('status', 'duplicate', 'charge', S.charge_json(c), 'totals', S.totals(p_account, v_scopes));
  END IF;
  -- Draw the cost from grants in drawdown order; what no grant covers is overdraft.
  IF a.has_grants THEN
    FOR g IN SELECT * FROM S.live_grants(p_account, p_now) LOOP
      EXIT WHEN due <= 0;
      take := least(due, g.remaining);
      UPDATE S.grants SET remaining = remaining - take WHERE account = p_account AND grant_id = g.grant_id;
      INSERT INTO S.allocations (account, key, seq, grant_id, amount) VALUES (p_account, p_key, v_seq, g.grant_id, take);
      v_seq := v_seq + 1;
      due := due - take;
    END LOOP;
    v_over := due;
    IF v_over > 0 THEN UPDATE S.accounts SET overdraft = overdraft + v_over WHERE account = p_account; END IF;
  END IF;
  v_meta := coalesce(h.meta, '{}'::jsonb) || coalesce(p_meta, '{}'::jsonb);
  INSERT INTO S.charges (account, key, cost, held, settled_at, day, overdraft, model, route, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, meta)
  VALUES (p_account, p_key, p_cost, coalesce(h.amount, 0), p_now, coalesce(h.day, p_day, ''), v_over, v_meta->>'model', v_meta->>'route',
          coalesce((v_meta->>'inputTokens')::bigint, 0), coalesce((v_meta->>'outputTokens')::bigint, 0),
          coalesce((v_meta->>'cacheReadTokens')::bigint, 0), coalesce((v_meta->>'cacheWriteTokens')::bigint, 0), v_meta)
  RETURNING * INTO c;
  WITH added AS (
    INSERT INTO S.rollups (account, scope, settled) SELECT DISTINCT p_account, s, p_cost FROM unnest(v_scopes) AS s
    ON CONFLICT (account, scope) DO UPDATE SET settled = S.rollups.settled + excluded.settled
    RETURNING scope, settled
  ) SELECT jsonb_object_agg(scope, settled) INTO v_totals FROM added;
  IF h.key IS NOT NULL THEN UPDATE S.holds SET state = 'settled' WHERE account = p_account AND key = p_key; END IF;
  PERFORM S.announce(p_writer, p_account, 'settle', p_key);
  RETURN jsonb_build_object('status', 'settled', 'charge', S.charge_json(c), 'totals', v_totals);
END $fn$;

CREATE FUNCTION S.release(p_writer text, p_account text, p_key text) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE h S.holds;
BEGIN
  PERFORM S.lock_account(p_account);
  IF EXISTS (SELECT 1 FROM S.charges WHERE account = p_account AND key = p_key) THEN
    RETURN jsonb_build_object('status', 'already_settled', 'amount', 0);
  END IF;
  SELECT * INTO h FROM S.holds WHERE account = p_account AND key = p_key;
  IF NOT FOUND THEN RETURN jsonb_build_object('status', 'not_found', 'amount', 0); END IF;
  IF h.state = 'released' THEN RETURN jsonb_build_object('status', 'already_released', 'amount', 0); END IF;
  UPDATE S.holds SET state = 'released' WHERE account = p_account AND key = p_key;
  PERFORM S.announce(p_writer, p_account, 'release', p_key);
  RETURN jsonb_build_object('status', 'released', 'amount', h.amount);
END $fn$;

CREATE FUNCTION S.add_grant(p_writer text, p_account text, p_grant_id text, p_amount bigint, p_kind text, p_priority int,
                            p_expires_at bigint, p_now bigint, p_source text) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE a S.accounts; g S.grants; repay bigint;
BEGIN
  a := S.lock_account(p_account);
  SELECT * INTO g FROM S.grants WHERE account = p_account AND grant_id = p_grant_id;
  IF FOUND THEN RETURN jsonb_build_object('status', 'duplicate', 'grant', to_jsonb(g)); END IF;
  -- Funds added while overdrawn pay the overdraft first.
  repay := least(a.overdraft, p_amount);
  UPDATE S.accounts SET has_grants = true, overdraft = overdraft - repay WHERE account = p_account;
  INSERT INTO S.grants (account, grant_id, kind, priority, amount, remaining, created_at, expires_at, source)
  VALUES (p_account, p_grant_id, p_kind, p_priority, p_amount, p_amount - repay, p_now, p_expires_at, p_source)
  RETURNING * INTO g;
  PERFORM S.announce(p_writer, p_account, 'grant', p_grant_id);
  RETURN jsonb_build_object('status', 'added', 'grant', to_jsonb(g));
END $fn$;

CREATE FUNCTION S.set_state(p_writer text, p_key text, p_value jsonb) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO S.state (key, value) VALUES (p_key, p_value) ON CONFLICT (key) DO UPDATE SET value = excluded.value;
  PERFORM S.announce(p_writer, NULL, 'state', p_key);
END $fn$;
`,
  },
  {
    version: 2,
    sql: `
-- Group commit: applies several reserve/settle/release calls in one transaction, in the order
-- given, so they share one round trip and one commit (one WAL flush). Each item is exactly the
-- single-call function: it takes its account's row lock and makes its own atomic check. If any
-- item raises, the whole transaction rolls back and the caller applies each item alone (every
-- operation is idempotent by key), so no per-item subtransaction is paid for in the common case.
-- Callers send items sorted by account, so concurrent batches lock accounts in one order and
-- cannot deadlock each other.
CREATE FUNCTION S.apply_batch(p_writer text, p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  item jsonb; r jsonb; out jsonb := '[]'::jsonb;
BEGIN
  FOR item IN SELECT value FROM jsonb_array_elements(p_items) LOOP
    IF item->>'op' = 'settle' THEN
      r := S.settle(p_writer, item->>'account', item->>'key', (item->>'cost')::bigint, (item->>'now')::bigint, item->'meta',
        CASE WHEN jsonb_typeof(item->'scopes') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(item->'scopes')) END, item->>'day');
    ELSIF item->>'op' = 'reserve' THEN
      r := S.reserve(p_writer, item->>'account', item->>'key', (item->>'amount')::bigint, (item->>'ttlMs')::bigint, (item->>'now')::bigint,
        item->'limits', ARRAY(SELECT jsonb_array_elements_text(item->'scopes')), item->>'day', item->'meta');
    ELSIF item->>'op' = 'release' THEN
      r := S.release(p_writer, item->>'account', item->>'key');
    ELSE
      RAISE EXCEPTION 'unknown batch operation %', item->>'op' USING ERRCODE = '22023';
    END IF;
    out := out || jsonb_build_array(r);
  END LOOP;
  RETURN out;
END $fn$;

-- PL/pgSQL keeps its plans for the session; the SQL version was planned again on every call,
-- which made it most of a settle's cost inside the server.
CREATE OR REPLACE FUNCTION S.charge_json(c S.charges) RETURNS jsonb LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN jsonb_build_object('account', c.account, 'key', c.key, 'cost', c.cost, 'held', c.held, 'settledAt', c.settled_at, 'day', c.day,
    'overdraft', c.overdraft, 'allocations',
    coalesce((SELECT jsonb_agg(jsonb_build_object('grantId', grant_id, 'amount', amount) ORDER BY seq) FROM S.allocations WHERE account = c.account AND key = c.key), '[]'::jsonb));
END $fn$;
`,
  },
  {
    version: 3,
    sql: `
-- Announcements: one NOTIFY per transaction instead of one per change. A NOTIFY takes a
-- database-wide lock at commit and holds it until the commit is done, so transactions that
-- notify commit one after another; 64 notifications in one batch also cost 64 queue entries.
-- Payload: {"w": writer, "c": [[account, kind, key], ...]}.
CREATE OR REPLACE FUNCTION S.announce(p_writer text, p_account text, p_kind text, p_key text) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  -- Inside apply_batch the batch announces all of its changes together, at its end.
  IF current_setting('drawdown.batching', true) = 'on' THEN RETURN; END IF;
  PERFORM pg_notify(CHANNEL, jsonb_build_object('w', p_writer, 'c', jsonb_build_array(jsonb_build_array(p_account, p_kind, left(p_key, 2000))))::text);
END $fn$;

-- One NOTIFY for a transaction's changes, split only where they would pass NOTIFY's 8000-byte limit.
CREATE FUNCTION S.announce_all(p_writer text, p_changes jsonb[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE c jsonb; part jsonb[] := '{}'; size int := 0; len int;
BEGIN
  FOREACH c IN ARRAY p_changes LOOP
    len := octet_length(c::text) + 1;
    IF size + len > 7000 AND cardinality(part) > 0 THEN
      PERFORM pg_notify(CHANNEL, jsonb_build_object('w', p_writer, 'c', to_jsonb(part))::text);
      part := '{}';
      size := 0;
    END IF;
    part := array_append(part, c);
    size := size + len;
  END LOOP;
  IF cardinality(part) > 0 THEN PERFORM pg_notify(CHANNEL, jsonb_build_object('w', p_writer, 'c', to_jsonb(part))::text); END IF;
END $fn$;

-- The row lock first: the account exists for every call but its first, so one statement, not two.
CREATE OR REPLACE FUNCTION S.lock_account(p_account text) RETURNS S.accounts LANGUAGE plpgsql AS $fn$
DECLARE a S.accounts;
BEGIN
  SELECT * INTO a FROM S.accounts WHERE account = p_account FOR UPDATE;
  IF FOUND THEN RETURN a; END IF;
  INSERT INTO S.accounts (account) VALUES (p_account) ON CONFLICT DO NOTHING;
  SELECT * INTO a FROM S.accounts WHERE account = p_account FOR UPDATE;
  RETURN a;
END $fn$;

-- As version 1, but a new charge's answer is built from what the function just wrote instead of
-- reading its allocations back.
CREATE OR REPLACE FUNCTION S.settle(p_writer text, p_account text, p_key text, p_cost bigint, p_now bigint,
                         p_meta jsonb, p_scopes text[], p_day text) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  a S.accounts; h S.holds; c S.charges; g S.grants; v_scopes text[]; v_meta jsonb; due bigint := p_cost; take bigint;
  v_seq int := 0; v_over bigint := 0; v_totals jsonb; v_allocations jsonb := '[]'::jsonb; v_day text;
BEGIN
  a := S.lock_account(p_account);
  SELECT * INTO h FROM S.holds WHERE account = p_account AND key = p_key;
  v_scopes := CASE WHEN h.key IS NOT NULL THEN h.scopes ELSE coalesce(p_scopes, '{}') END;
  v_scopes := array_prepend('lifetime', array_remove(v_scopes, 'lifetime'));
  SELECT * INTO c FROM S.charges WHERE account = p_account AND key = p_key;
  IF FOUND THEN
    RETURN jsonb_build_object('status', 'duplicate', 'charge', S.charge_json(c), 'totals', S.totals(p_account, v_scopes));
  END IF;
  -- Draw the cost from grants in drawdown order; what no grant covers is overdraft.
  IF a.has_grants THEN
    FOR g IN SELECT * FROM S.live_grants(p_account, p_now) LOOP
      EXIT WHEN due <= 0;
      take := least(due, g.remaining);
      UPDATE S.grants SET remaining = remaining - take WHERE account = p_account AND grant_id = g.grant_id;
      INSERT INTO S.allocations (account, key, seq, grant_id, amount) VALUES (p_account, p_key, v_seq, g.grant_id, take);
      v_allocations := v_allocations || jsonb_build_array(jsonb_build_object('grantId', g.grant_id, 'amount', take));
      v_seq := v_seq + 1;
      due := due - take;
    END LOOP;
    v_over := due;
    IF v_over > 0 THEN UPDATE S.accounts SET overdraft = overdraft + v_over WHERE account = p_account; END IF;
  END IF;
  v_meta := coalesce(h.meta, '{}'::jsonb) || coalesce(p_meta, '{}'::jsonb);
  v_day := coalesce(h.day, p_day, '');
  INSERT INTO S.charges (account, key, cost, held, settled_at, day, overdraft, model, route, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, meta)
  VALUES (p_account, p_key, p_cost, coalesce(h.amount, 0), p_now, v_day, v_over, v_meta->>'model', v_meta->>'route',
          coalesce((v_meta->>'inputTokens')::bigint, 0), coalesce((v_meta->>'outputTokens')::bigint, 0),
          coalesce((v_meta->>'cacheReadTokens')::bigint, 0), coalesce((v_meta->>'cacheWriteTokens')::bigint, 0), v_meta);
  WITH added AS (
    INSERT INTO S.rollups (account, scope, settled) SELECT DISTINCT p_account, s, p_cost FROM unnest(v_scopes) AS s
    ON CONFLICT (account, scope) DO UPDATE SET settled = S.rollups.settled + excluded.settled
    RETURNING scope, settled
  ) SELECT jsonb_object_agg(scope, settled) INTO v_totals FROM added;
  IF h.key IS NOT NULL THEN UPDATE S.holds SET state = 'settled' WHERE account = p_account AND key = p_key; END IF;
  PERFORM S.announce(p_writer, p_account, 'settle', p_key);
  RETURN jsonb_build_object('status', 'settled', 'charge', jsonb_build_object('account', p_account, 'key', p_key, 'cost', p_cost,
    'held', coalesce(h.amount, 0), 'settledAt', p_now, 'day', v_day, 'overdraft', v_over, 'allocations', v_allocations), 'totals', v_totals);
END $fn$;

-- As version 2, announcing the batch's changes in one NOTIFY at its end, and collecting the
-- answers in an array (appending to a jsonb value copied it whole for every item).
CREATE OR REPLACE FUNCTION S.apply_batch(p_writer text, p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  item jsonb; r jsonb; changed boolean; results jsonb[] := '{}'; changes jsonb[] := '{}';
BEGIN
  PERFORM set_config('drawdown.batching', 'on', true);
  FOR item IN SELECT value FROM jsonb_array_elements(p_items) LOOP
    IF item->>'op' = 'settle' THEN
      r := S.settle(p_writer, item->>'account', item->>'key', (item->>'cost')::bigint, (item->>'now')::bigint, item->'meta',
        CASE WHEN jsonb_typeof(item->'scopes') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(item->'scopes')) END, item->>'day');
      changed := r->>'status' = 'settled';
    ELSIF item->>'op' = 'reserve' THEN
      r := S.reserve(p_writer, item->>'account', item->>'key', (item->>'amount')::bigint, (item->>'ttlMs')::bigint, (item->>'now')::bigint,
        item->'limits', ARRAY(SELECT jsonb_array_elements_text(item->'scopes')), item->>'day', item->'meta');
      changed := (r->>'ok')::boolean AND NOT (r->>'replayed')::boolean;
    ELSIF item->>'op' = 'release' THEN
      r := S.release(p_writer, item->>'account', item->>'key');
      changed := r->>'status' = 'released';
    ELSE
      RAISE EXCEPTION 'unknown batch operation %', item->>'op' USING ERRCODE = '22023';
    END IF;
    results := array_append(results, r);
    IF changed THEN changes := array_append(changes, jsonb_build_array(item->>'account', item->>'op', left(item->>'key', 2000))); END IF;
  END LOOP;
  PERFORM set_config('drawdown.batching', 'off', true);
  PERFORM S.announce_all(p_writer, changes);
  RETURN to_jsonb(results);
END $fn$;
`,
  },
  {
    version: 4,
    sql: `
-- Rate-limit counters (requests, tokens per minute) per fixed window; old windows are pruned by
-- the writers, so the table holds about one row per counter.
CREATE TABLE S.rate_windows (
  name text NOT NULL,
  window_start bigint NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (name, window_start)
);

-- Checks and adds all of a call's counters together. Each counter's row is created if missing and
-- locked in name order (so concurrent calls cannot deadlock), then read under the lock: every
-- host's check sees every add committed before it, and nothing is added unless all fit.
CREATE FUNCTION S.count_in_window(p_counters jsonb, p_start bigint) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  names text[] := ARRAY(SELECT value->>'name' FROM jsonb_array_elements(p_counters) WITH ORDINALITY ORDER BY ordinality);
  amounts bigint[];
  counts bigint[];
  c jsonb; i int := 0; added bigint;
BEGIN
  amounts := ARRAY(SELECT (value->>'amount')::bigint FROM jsonb_array_elements(p_counters) WITH ORDINALITY ORDER BY ordinality);
  INSERT INTO S.rate_windows (name, window_start, count)
    SELECT n, p_start, 0 FROM unnest(names) AS n ORDER BY n ON CONFLICT DO NOTHING;
  PERFORM 1 FROM S.rate_windows WHERE name = ANY (names) AND window_start = p_start ORDER BY name FOR UPDATE;
  counts := ARRAY(SELECT w.count FROM unnest(names) WITH ORDINALITY AS n(name, ord)
    JOIN S.rate_windows w ON w.name = n.name AND w.window_start = p_start ORDER BY n.ord);
  FOR c IN SELECT value FROM jsonb_array_elements(p_counters) WITH ORDINALITY ORDER BY ordinality LOOP
    i := i + 1;
    IF jsonb_typeof(c->'limit') = 'number' AND amounts[i] > 0 AND counts[i] + amounts[i] > (c->>'limit')::bigint THEN
      RETURN jsonb_build_object('ok', false, 'counts', to_jsonb(counts), 'refused', i - 1);
    END IF;
  END LOOP;
  FOR i IN 1 .. coalesce(array_length(names, 1), 0) LOOP
    -- A give-back for a window that has already been replaced has nothing left to change.
    CONTINUE WHEN EXISTS (SELECT 1 FROM S.rate_windows WHERE name = names[i] AND window_start > p_start);
    UPDATE S.rate_windows SET count = count + amounts[i] WHERE name = names[i] AND window_start = p_start
      RETURNING count INTO added;
    counts[i] := added;
    DELETE FROM S.rate_windows WHERE name = names[i] AND window_start < p_start;
  END LOOP;
  RETURN jsonb_build_object('ok', true, 'counts', to_jsonb(counts));
END $fn$;
`,
  },
  {
    version: 5,
    sql: `
-- Limit accounts (ReserveInput.limitAccounts): accounts held with a reservation in the same
-- transaction, only to enforce their own limits. A hold lists them; each holds the same amount
-- under "<account>/<key>", and the hold's settle and release settle and release theirs. They get
-- rollups but no charges, so reports count each request once.
ALTER TABLE S.holds ADD COLUMN limit_accounts text[];

-- Locks accounts in one global order (byte order), so transactions that lock several accounts
-- (a reservation and its limit accounts, a batch of them) cannot deadlock each other.
CREATE FUNCTION S.lock_accounts(p_accounts text[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE acc text;
BEGIN
  FOR acc IN SELECT DISTINCT x COLLATE "C" FROM unnest(p_accounts) AS x ORDER BY 1 LOOP
    PERFORM S.lock_account(acc);
  END LOOP;
END $fn$;

-- NULL when the account's limits admit p_amount; otherwise the refusal. Active holds are read
-- before the totals, so a settle committing in between is counted twice (refuses), never missed.
CREATE FUNCTION S.refusal(p_account text, p_amount bigint, p_now bigint, p_limits jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE v_held bigint; lim jsonb; avail bigint;
BEGIN
  IF p_limits IS NULL OR jsonb_array_length(p_limits) = 0 THEN RETURN NULL; END IF;
  SELECT coalesce(sum(amount), 0) INTO v_held FROM S.holds WHERE account = p_account AND state = 'held' AND expires_at > p_now;
  FOR lim IN SELECT * FROM jsonb_array_elements(p_limits) LOOP
    IF lim->>'kind' = 'cap' THEN
      avail := (lim->>'cap')::bigint - coalesce((SELECT settled FROM S.rollups WHERE account = p_account AND scope = lim->>'scope'), 0) - v_held;
    ELSE
      avail := coalesce((SELECT sum(remaining) FROM S.live_grants(p_account, p_now)), 0)
        - coalesce((SELECT overdraft FROM S.accounts WHERE account = p_account), 0) - v_held;
    END IF;
    IF p_amount > avail THEN
      RETURN jsonb_build_object('ok', false, 'account', p_account, 'limit', lim->>'name', 'available', avail, 'requested', p_amount, 'resetsAt', lim->'resetsAt');
    END IF;
  END LOOP;
  RETURN NULL;
END $fn$;

CREATE FUNCTION S.reserve(p_writer text, p_account text, p_key text, p_amount bigint, p_ttl bigint, p_now bigint,
                          p_limits jsonb, p_scopes text[], p_day text, p_meta jsonb, p_limit_accounts jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  h S.holds; c S.charges; r jsonb; l jsonb; v_limited text[];
BEGIN
  v_limited := ARRAY(SELECT x->>'account' FROM jsonb_array_elements(coalesce(p_limit_accounts, '[]'::jsonb)) AS x);
  IF cardinality(v_limited) = 0 THEN PERFORM S.lock_account(p_account);
  ELSE PERFORM S.lock_accounts(array_prepend(p_account, v_limited)); END IF;
  SELECT * INTO h FROM S.holds WHERE account = p_account AND key = p_key;
  IF FOUND THEN
    RETURN jsonb_build_object('ok', true, 'replayed', true, 'hold', jsonb_build_object(
      'account', h.account, 'key', h.key, 'amount', h.amount, 'state', h.state, 'createdAt', h.created_at, 'expiresAt', h.expires_at));
  END IF;
  SELECT * INTO c FROM S.charges WHERE account = p_account AND key = p_key;
  IF FOUND THEN
    RETURN jsonb_build_object('ok', true, 'replayed', true, 'hold', jsonb_build_object(
      'account', c.account, 'key', c.key, 'amount', c.held, 'state', 'settled', 'createdAt', c.settled_at, 'expiresAt', c.settled_at));
  END IF;
  -- The reservation's own limits first, then each limit account's: the first refusal wins.
  r := S.refusal(p_account, p_amount, p_now, p_limits);
  IF r IS NOT NULL THEN RETURN r; END IF;
  FOR l IN SELECT * FROM jsonb_array_elements(coalesce(p_limit_accounts, '[]'::jsonb)) LOOP
    r := S.refusal(l->>'account', p_amount, p_now, l->'limits');
    IF r IS NOT NULL THEN RETURN r; END IF;
  END LOOP;
  INSERT INTO S.holds (account, key, amount, state, created_at, expires_at, scopes, day, meta, limit_accounts)
  VALUES (p_account, p_key, p_amount, 'held', p_now, p_now + p_ttl, p_scopes, p_day, p_meta, CASE WHEN cardinality(v_limited) > 0 THEN v_limited END);
  IF cardinality(v_limited) > 0 THEN
    INSERT INTO S.holds (account, key, amount, state, created_at, expires_at, scopes, day, meta)
    SELECT x, p_account || '/' || p_key, p_amount, 'held', p_now, p_now + p_ttl, p_scopes, p_day, '{}'::jsonb FROM unnest(v_limited) AS x;
  END IF;
  PERFORM S.announce(p_writer, p_account, 'reserve', p_key);
  RETURN jsonb_build_object('ok', true, 'replayed', false, 'hold', jsonb_build_object(
    'account', p_account, 'key', p_key, 'amount', p_amount, 'state', 'held', 'createdAt', p_now, 'expiresAt', p_now + p_ttl));
END $fn$;

-- As version 3, also counting the cost in the hold's limit accounts (rollups only, no charge).
CREATE OR REPLACE FUNCTION S.settle(p_writer text, p_account text, p_key text, p_cost bigint, p_now bigint,
                         p_meta jsonb, p_scopes text[], p_day text) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  a S.accounts; h S.holds; c S.charges; g S.grants; v_scopes text[]; v_meta jsonb; due bigint := p_cost; take bigint;
  v_seq int := 0; v_over bigint := 0; v_totals jsonb; v_allocations jsonb := '[]'::jsonb; v_day text; v_limited text[];
  v_limit_totals jsonb;
BEGIN
  -- A hold's limit accounts never change once written: read them, then lock everything in order.
  SELECT limit_accounts INTO v_limited FROM S.holds WHERE account = p_account AND key = p_key;
  IF v_limited IS NOT NULL THEN PERFORM S.lock_accounts(array_prepend(p_account, v_limited)); END IF;
  a := S.lock_account(p_account);
  SELECT * INTO h FROM S.holds WHERE account = p_account AND key = p_key;
  v_limited := coalesce(h.limit_accounts, '{}');
  v_scopes := CASE WHEN h.key IS NOT NULL THEN h.scopes ELSE coalesce(p_scopes, '{}') END;
  v_scopes := array_prepend('lifetime', array_remove(v_scopes, 'lifetime'));
  SELECT * INTO c FROM S.charges WHERE account = p_account AND key = p_key;
  IF FOUND THEN
    IF cardinality(v_limited) > 0 THEN
      SELECT jsonb_object_agg(x, S.totals(x, v_scopes)) INTO v_limit_totals FROM unnest(v_limited) AS x;
      RETURN jsonb_build_object('status', 'duplicate', 'charge', S.charge_json(c), 'totals', S.totals(p_account, v_scopes), 'limitTotals', v_limit_totals);
    END IF;
    RETURN jsonb_build_object('status', 'duplicate', 'charge', S.charge_json(c), 'totals', S.totals(p_account, v_scopes));
  END IF;
  -- Draw the cost from grants in drawdown order; what no grant covers is overdraft.
  IF a.has_grants THEN
    FOR g IN SELECT * FROM S.live_grants(p_account, p_now) LOOP
      EXIT WHEN due <= 0;
      take := least(due, g.remaining);
      UPDATE S.grants SET remaining = remaining - take WHERE account = p_account AND grant_id = g.grant_id;
      INSERT INTO S.allocations (account, key, seq, grant_id, amount) VALUES (p_account, p_key, v_seq, g.grant_id, take);
      v_allocations := v_allocations || jsonb_build_array(jsonb_build_object('grantId', g.grant_id, 'amount', take));
      v_seq := v_seq + 1;
      due := due - take;
    END LOOP;
    v_over := due;
    IF v_over > 0 THEN UPDATE S.accounts SET overdraft = overdraft + v_over WHERE account = p_account; END IF;
  END IF;
  v_meta := coalesce(h.meta, '{}'::jsonb) || coalesce(p_meta, '{}'::jsonb);
  v_day := coalesce(h.day, p_day, '');
  INSERT INTO S.charges (account, key, cost, held, settled_at, day, overdraft, model, route, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, meta)
  VALUES (p_account, p_key, p_cost, coalesce(h.amount, 0), p_now, v_day, v_over, v_meta->>'model', v_meta->>'route',
          coalesce((v_meta->>'inputTokens')::bigint, 0), coalesce((v_meta->>'outputTokens')::bigint, 0),
          coalesce((v_meta->>'cacheReadTokens')::bigint, 0), coalesce((v_meta->>'cacheWriteTokens')::bigint, 0), v_meta);
  WITH added AS (
    INSERT INTO S.rollups (account, scope, settled) SELECT DISTINCT p_account, s, p_cost FROM unnest(v_scopes) AS s
    ON CONFLICT (account, scope) DO UPDATE SET settled = S.rollups.settled + excluded.settled
    RETURNING scope, settled
  ) SELECT jsonb_object_agg(scope, settled) INTO v_totals FROM added;
  IF h.key IS NOT NULL THEN UPDATE S.holds SET state = 'settled' WHERE account = p_account AND key = p_key; END IF;
  IF cardinality(v_limited) > 0 THEN
    WITH added AS (
      INSERT INTO S.rollups (account, scope, settled)
      SELECT DISTINCT acc, s, p_cost FROM unnest(v_limited) AS acc, unnest(v_scopes) AS s
      ON CONFLICT (account, scope) DO UPDATE SET settled = S.rollups.settled + excluded.settled
      RETURNING account, scope, settled
    ) SELECT jsonb_object_agg(account, totals) INTO v_limit_totals
      FROM (SELECT account, jsonb_object_agg(scope, settled) AS totals FROM added GROUP BY account) AS per_account;
    UPDATE S.holds SET state = 'settled' WHERE account = ANY(v_limited) AND key = p_account || '/' || p_key;
  END IF;
  PERFORM S.announce(p_writer, p_account, 'settle', p_key);
  IF cardinality(v_limited) > 0 THEN
    RETURN jsonb_build_object('status', 'settled', 'charge', jsonb_build_object('account', p_account, 'key', p_key, 'cost', p_cost,
      'held', coalesce(h.amount, 0), 'settledAt', p_now, 'day', v_day, 'overdraft', v_over, 'allocations', v_allocations), 'totals', v_totals,
      'limitTotals', v_limit_totals);
  END IF;
  RETURN jsonb_build_object('status', 'settled', 'charge', jsonb_build_object('account', p_account, 'key', p_key, 'cost', p_cost,
    'held', coalesce(h.amount, 0), 'settledAt', p_now, 'day', v_day, 'overdraft', v_over, 'allocations', v_allocations), 'totals', v_totals);
END $fn$;

-- As version 1, also releasing the hold's limit accounts' holds.
CREATE OR REPLACE FUNCTION S.release(p_writer text, p_account text, p_key text) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE h S.holds; v_limited text[];
BEGIN
  SELECT limit_accounts INTO v_limited FROM S.holds WHERE account = p_account AND key = p_key;
  IF v_limited IS NOT NULL THEN PERFORM S.lock_accounts(array_prepend(p_account, v_limited)); END IF;
  PERFORM S.lock_account(p_account);
  IF EXISTS (SELECT 1 FROM S.charges WHERE account = p_account AND key = p_key) THEN
    RETURN jsonb_build_object('status', 'already_settled', 'amount', 0);
  END IF;
  SELECT * INTO h FROM S.holds WHERE account = p_account AND key = p_key;
  IF NOT FOUND THEN RETURN jsonb_build_object('status', 'not_found', 'amount', 0); END IF;
  IF h.state = 'released' THEN RETURN jsonb_build_object('status', 'already_released', 'amount', 0); END IF;
  UPDATE S.holds SET state = 'released' WHERE account = p_account AND key = p_key;
  IF h.limit_accounts IS NOT NULL THEN
    UPDATE S.holds SET state = 'released' WHERE account = ANY(h.limit_accounts) AND key = p_account || '/' || p_key AND state = 'held';
  END IF;
  PERFORM S.announce(p_writer, p_account, 'release', p_key);
  RETURN jsonb_build_object('status', 'released', 'amount', h.amount);
END $fn$;

-- As version 3, passing a reservation's limit accounts, and first locking every account the
-- batch touches (its limit accounts included) in one global order: items lock several accounts
-- each, so locking item by item could deadlock two batches.
CREATE OR REPLACE FUNCTION S.apply_batch(p_writer text, p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  item jsonb; r jsonb; changed boolean; results jsonb[] := '{}'; changes jsonb[] := '{}'; v_accounts text[];
BEGIN
  IF jsonb_array_length(p_items) > 1 THEN
    SELECT array_agg(acc) INTO v_accounts FROM (
      SELECT i->>'account' AS acc FROM jsonb_array_elements(p_items) AS i
      UNION SELECT l->>'account' FROM jsonb_array_elements(p_items) AS i, jsonb_array_elements(coalesce(i->'limitAccounts', '[]'::jsonb)) AS l
      UNION SELECT unnest(h.limit_accounts) FROM jsonb_array_elements(p_items) AS i
        JOIN S.holds h ON h.account = i->>'account' AND h.key = i->>'key' WHERE i->>'op' <> 'reserve' AND h.limit_accounts IS NOT NULL
    ) AS touched;
    PERFORM S.lock_accounts(v_accounts);
  END IF;
  PERFORM set_config('drawdown.batching', 'on', true);
  FOR item IN SELECT value FROM jsonb_array_elements(p_items) LOOP
    IF item->>'op' = 'settle' THEN
      r := S.settle(p_writer, item->>'account', item->>'key', (item->>'cost')::bigint, (item->>'now')::bigint, item->'meta',
        CASE WHEN jsonb_typeof(item->'scopes') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(item->'scopes')) END, item->>'day');
      changed := r->>'status' = 'settled';
    ELSIF item->>'op' = 'reserve' THEN
      r := S.reserve(p_writer, item->>'account', item->>'key', (item->>'amount')::bigint, (item->>'ttlMs')::bigint, (item->>'now')::bigint,
        item->'limits', ARRAY(SELECT jsonb_array_elements_text(item->'scopes')), item->>'day', item->'meta', item->'limitAccounts');
      changed := (r->>'ok')::boolean AND NOT (r->>'replayed')::boolean;
    ELSIF item->>'op' = 'release' THEN
      r := S.release(p_writer, item->>'account', item->>'key');
      changed := r->>'status' = 'released';
    ELSE
      RAISE EXCEPTION 'unknown batch operation %', item->>'op' USING ERRCODE = '22023';
    END IF;
    results := array_append(results, r);
    IF changed THEN changes := array_append(changes, jsonb_build_array(item->>'account', item->>'op', left(item->>'key', 2000))); END IF;
  END LOOP;
  PERFORM set_config('drawdown.batching', 'off', true);
  PERFORM S.announce_all(p_writer, changes);
  RETURN to_jsonb(results);
END $fn$;
`,
  },
  {
    version: 6,
    sql: `
-- Spend per account and hour (LedgerStore.spendByHour), kept by a trigger so that every writer of
-- charges keeps it: forecasts read a week of hours instead of every charge. Settles of one account
-- run one after another (its row lock), so the upsert never races itself.
CREATE TABLE S.spend_hours (
  account text NOT NULL,
  hour bigint NOT NULL,
  charges bigint NOT NULL,
  cost bigint NOT NULL,
  first_at bigint NOT NULL,
  first_cost bigint NOT NULL,
  last_at bigint NOT NULL,
  cost_ms double precision NOT NULL,
  PRIMARY KEY (account, hour)
);

CREATE FUNCTION S.count_spend_hour() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO S.spend_hours AS h (account, hour, charges, cost, first_at, first_cost, last_at, cost_ms)
  VALUES (NEW.account, NEW.settled_at - NEW.settled_at % 3600000, 1, NEW.cost, NEW.settled_at, NEW.cost,
    NEW.settled_at, NEW.cost::double precision * (NEW.settled_at % 3600000))
  ON CONFLICT (account, hour) DO UPDATE SET
    charges = h.charges + 1,
    cost = h.cost + excluded.cost,
    first_at = least(h.first_at, excluded.first_at),
    first_cost = CASE WHEN excluded.first_at < h.first_at THEN excluded.first_cost ELSE h.first_cost END,
    last_at = greatest(h.last_at, excluded.last_at),
    cost_ms = h.cost_ms + excluded.cost_ms;
  RETURN NULL;
END $fn$;

CREATE TRIGGER charges_spend_hours AFTER INSERT ON S.charges
  FOR EACH ROW WHEN (NEW.cost > 0) EXECUTE FUNCTION S.count_spend_hour();

-- The charges recorded before this version, counted the same way.
INSERT INTO S.spend_hours (account, hour, charges, cost, first_at, first_cost, last_at, cost_ms)
SELECT account, hour, count(*), sum(cost), min(settled_at), sum(CASE WHEN nth = 1 THEN cost ELSE 0 END),
  max(settled_at), sum(cost::double precision * (settled_at - hour))
FROM (
  SELECT account, cost, settled_at, settled_at - settled_at % 3600000 AS hour,
    row_number() OVER (PARTITION BY account, settled_at - settled_at % 3600000 ORDER BY settled_at, key) AS nth
  FROM S.charges WHERE cost > 0
) AS counted
GROUP BY account, hour;
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The NOTIFY channel of a schema: hosts sharing a schema hear each other, other schemas stay apart. */
export const channelOf = (schema: string): string => `drawdown:${schema}`;

/** A migration's SQL for one schema. `schema` is validated as a plain identifier before it gets here. */
export const migrationSql = (sql: string, schema: string): string =>
  sql.replaceAll(/\bS\./g, `"${schema}".`).replaceAll('CHANNEL', `'${channelOf(schema)}'`);
