import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DrawdownError, usd, type LedgerStore, type Nanos } from '@drawdown/core';
import { GatewayErrorCodes } from './errors.js';

/** Where the key records live in the store's shared state (visible to every process and host). */
export const KEYS_STATE_KEY = 'gateway.keys';

/** A stored key: never the key itself, only the SHA-256 of it. */
export interface KeyRecord {
  /** Public part of the key (`ddk_<id>_…`), used to find the record; not a secret. */
  id: string;
  name: string;
  /** Hex SHA-256 of the whole key. */
  hash: string;
  /** Route entry ids this key may draw from (in the route's own order). */
  routes: string[];
  /** Spending cap of this key per `period`, nanodollars. */
  budget?: Nanos;
  /** The window the budget covers; absent means `lifetime` (keys made before periods existed). */
  period?: KeyBudgetPeriod;
  createdAt: number;
  revokedAt?: number;
}

/** What a key's budget covers: its whole life, or each calendar day or month in the hub's time zone. */
export type KeyBudgetPeriod = 'lifetime' | 'day' | 'month';

export const KEY_BUDGET_PERIODS: readonly KeyBudgetPeriod[] = ['lifetime', 'day', 'month'];

interface KeysDocument {
  version: 1;
  keys: KeyRecord[];
}

export interface CreateKeyRequest {
  name: string;
  routes: string[];
  /** USD amount (`"5"`, `"5.00"`, `5`). */
  budget?: string | number;
  /** What the budget covers. Default `lifetime`. Needs `budget`. */
  period?: string;
}

export interface CreatedKey {
  record: KeyRecord;
  /** The key itself: shown once, never stored. */
  key: string;
}

const KEY_PATTERN = /^ddk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Lowercase base32 without padding: ids that read well and never contain `_`. */
function base32(bytes: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

const invalid = (field: string, message: string): DrawdownError =>
  new DrawdownError(GatewayErrorCodes.INVALID_KEY_REQUEST, message, { data: { field } });

/** The lease that serialises changes to the key document across processes and hosts. */
const KEYS_LEASE = 'gateway.keys.write';
const LEASE_TTL_MS = 10_000;
const LOCK_WAIT_MS = 15_000;

/**
 * Runs a read-modify-write of the key document while holding the store's lease on it, so two
 * `keys create` (or a create and a revoke) at the same instant, in any processes sharing the store,
 * cannot overwrite each other's record. Waits up to `LOCK_WAIT_MS` (a holder that died frees the
 * lease after `LEASE_TTL_MS`), then says so.
 */
async function underKeysLease<T>(store: LedgerStore, now: () => number, change: () => Promise<T>): Promise<T> {
  const owner = `${process.pid}:${randomBytes(6).toString('hex')}`;
  const started = now();
  let pause = 5;
  while (!(await store.tryLease({ name: KEYS_LEASE, owner, ttlMs: LEASE_TTL_MS, now: now() }))) {
    if (now() - started > LOCK_WAIT_MS) {
      throw new DrawdownError(
        GatewayErrorCodes.KEYS_BUSY,
        `the gateway keys are being changed by another process and stayed locked for ${LOCK_WAIT_MS / 1000} s; try again`,
        { data: { lease: KEYS_LEASE } },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pause + Math.random() * pause));
    pause = Math.min(100, pause * 2);
  }
  try {
    return await change();
  } finally {
    await store.releaseLease({ name: KEYS_LEASE, owner });
  }
}

async function read(store: LedgerStore): Promise<KeysDocument> {
  const doc = await store.getState<KeysDocument>(KEYS_STATE_KEY);
  return doc && Array.isArray(doc.keys) ? doc : { version: 1, keys: [] };
}

/**
 * Creates, lists and revokes gateway keys in the ledger store's shared state, so every gateway
 * process on the same store (SQLite on one machine, PostgreSQL across hosts) knows the same keys.
 * A key is `ddk_<id>_<secret>`: the id finds the record, the whole key's SHA-256 is compared in
 * constant time. The key itself is returned once by `create` and never stored.
 */
export function keyManager(store: LedgerStore, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  return {
    async create(request: CreateKeyRequest): Promise<CreatedKey> {
      if (typeof request.name !== 'string' || !NAME_PATTERN.test(request.name)) {
        throw invalid(
          'name',
          `key name ${JSON.stringify(request.name)} is not usable: use 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. "cursor-laptop")`,
        );
      }
      if (
        !Array.isArray(request.routes) ||
        request.routes.length === 0 ||
        request.routes.some((r) => typeof r !== 'string' || r === '')
      ) {
        throw invalid(
          'routes',
          'a key needs at least one route entry it may draw from: pass --route <entry> (see "drawdown which" for the entry ids)',
        );
      }
      let budget: Nanos | undefined;
      if (request.budget !== undefined) {
        try {
          budget = usd(request.budget);
        } catch {
          throw invalid('budget', `budget ${JSON.stringify(request.budget)} is not a USD amount: write it like "5.00"`);
        }
        if (budget <= 0) throw invalid('budget', 'budget must be more than zero: write it like "5.00"');
      }
      let period: KeyBudgetPeriod | undefined;
      if (request.period !== undefined) {
        if (!(KEY_BUDGET_PERIODS as readonly string[]).includes(request.period)) {
          throw invalid(
            'period',
            `period ${JSON.stringify(request.period)} is not one of ${KEY_BUDGET_PERIODS.map((p) => `"${p}"`).join(', ')}: use "day" or "month" for a cap that resets at midnight in the hub's time zone, "lifetime" for one that never does`,
          );
        }
        if (budget === undefined) {
          throw invalid(
            'period',
            `period "${request.period}" needs a budget to apply to: add --budget, e.g. --budget 5.00`,
          );
        }
        period = request.period as KeyBudgetPeriod;
      }
      return underKeysLease(store, now, async () => {
        const doc = await read(store);
        if (doc.keys.some((k) => k.name === request.name && k.revokedAt === undefined)) {
          throw invalid(
            'name',
            `a key named "${request.name}" already exists: revoke it first ("drawdown keys revoke ${request.name}") or pick another name`,
          );
        }
        const id = base32(randomBytes(8)).slice(0, 12);
        const key = `ddk_${id}_${randomBytes(32).toString('base64url')}`;
        const record: KeyRecord = {
          id,
          name: request.name,
          hash: sha256(key).toString('hex'),
          routes: [...new Set(request.routes)],
          ...(budget !== undefined && { budget, period: period ?? 'lifetime' }),
          createdAt: now(),
        };
        await store.setState(KEYS_STATE_KEY, { version: 1, keys: [...doc.keys, record] } satisfies KeysDocument);
        return { record, key };
      });
    },

    /** Every key record (revoked ones too, marked), oldest first. */
    async list(): Promise<KeyRecord[]> {
      return (await read(store)).keys;
    },

    /** Revokes a key by name or id; requests with it are refused from then on. */
    async revoke(nameOrId: string): Promise<KeyRecord> {
      return underKeysLease(store, now, async () => {
        const doc = await read(store);
        const index = doc.keys.findIndex(
          (k) => (k.name === nameOrId || k.id === nameOrId) && k.revokedAt === undefined,
        );
        if (index < 0) {
          throw new DrawdownError(
            GatewayErrorCodes.UNKNOWN_KEY,
            `no active key is named "${nameOrId}"; "drawdown keys list" shows the keys`,
            { data: { key: nameOrId } },
          );
        }
        const revoked: KeyRecord = { ...doc.keys[index]!, revokedAt: now() };
        const keys = doc.keys.slice();
        keys[index] = revoked;
        await store.setState(KEYS_STATE_KEY, { version: 1, keys } satisfies KeysDocument);
        return revoked;
      });
    },
  };
}

export type KeyManager = ReturnType<typeof keyManager>;

/**
 * The gateway's view of the keys: a cache of the records, re-read when the store announces a state
 * change and at most `maxAgeMs` after the last read, so a key revoked from another process stops
 * working within that time.
 */
export function keyVerifier(store: LedgerStore, options: { maxAgeMs?: number; now?: () => number } = {}) {
  const maxAgeMs = options.maxAgeMs ?? 1_000;
  const now = options.now ?? Date.now;
  let byId = new Map<string, { record: KeyRecord; hash: Buffer }>();
  // Keys already verified against their SHA-256 since the last read, by id: a repeat request is then
  // one constant-time comparison of the bytes instead of a hash. Dropped with every re-read, so a
  // revocation is seen as soon as the list is (within maxAgeMs, or at once on a watched change).
  let verified = new Map<string, { presented: Buffer; record: KeyRecord }>();
  let readAt = -Infinity;
  let loading: Promise<void> | undefined;

  const load = (): Promise<void> =>
    (loading ??= (async () => {
      try {
        const started = now();
        const doc = await read(store);
        byId = new Map(
          doc.keys
            .filter((k) => k.revokedAt === undefined)
            .map((k) => [k.id, { record: k, hash: Buffer.from(k.hash, 'hex') }]),
        );
        verified = new Map();
        readAt = started;
      } finally {
        loading = undefined;
      }
    })());

  const unwatch = store.watch((change) => {
    if (change.kind === 'state') readAt = -Infinity;
  });

  return {
    /** The record of an active key, or undefined for anything else (malformed, unknown, revoked). */
    async verify(presented: string | undefined): Promise<KeyRecord | undefined> {
      if (now() - readAt > maxAgeMs) await load();
      const match = presented === undefined ? null : KEY_PATTERN.exec(presented);
      if (!match) return undefined;
      const id = match[1]!;
      const bytes = Buffer.from(presented!, 'latin1');
      const seen = verified.get(id);
      // Same pattern, same length: timingSafeEqual never throws here.
      if (seen) return timingSafeEqual(bytes, seen.presented) ? seen.record : undefined;
      const found = byId.get(id);
      if (!found || !timingSafeEqual(sha256(presented!), found.hash)) return undefined;
      verified.set(id, { presented: bytes, record: found.record });
      return found.record;
    },
    close: unwatch,
  };
}

export type KeyVerifier = ReturnType<typeof keyVerifier>;
