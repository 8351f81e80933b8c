import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { DrawdownError, usd, type LedgerStore, type Nanos, type RouteEntry } from '@drawdown/core';
import { GatewayErrorCodes } from './errors.js';
import { BUDGET_PERIODS, type BudgetPeriod } from './budget-period.js';

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
  /** Model ids the key may ask for (`claude-haiku-5-5`, or a prefix ending in `*`); absent means any. */
  models?: string[];
  /** Requests and tokens per minute, counted across every gateway on the store. */
  limits?: KeyRateLimits;
  /** After this instant (epoch ms) the key is refused. */
  expiresAt?: number;
  /** Set when the key was minted with an idempotency key: lets a retried mint answer the same key. */
  mint?: MintRecord;
  /** Spend per `period` at which `limit.crossed` is raised once, before the budget stops requests. */
  softLimit?: Nanos;
  /** The user, team and organisation the key belongs to: budget levels held with each request (see `BudgetHierarchy`). */
  user?: string;
  team?: string;
  organisation?: string;
  createdAt: number;
  /** When the secret was last replaced (`rotate`). */
  rotatedAt?: number;
  revokedAt?: number;
}

/** Per-key rate limits; each counts in fixed one-minute windows. */
export interface KeyRateLimits {
  requestsPerMinute?: number;
  /** Input (cache reads and writes included) plus output tokens. */
  tokensPerMinute?: number;
}

/**
 * What a retried mint needs to answer the same key: the idempotency key's SHA-256 (to find the
 * record), the request's fingerprint (a different request under the same id is refused), and the
 * key sealed with AES-256-GCM under a key derived from the idempotency key itself, so the store
 * alone cannot give the key back to anyone who does not know the id.
 */
export interface MintRecord {
  id: string;
  fingerprint: string;
  sealed: string;
}

/** What a key's budget covers: its whole life, or each calendar day, week or month in the hub's time zone. */
export type KeyBudgetPeriod = BudgetPeriod;

export const KEY_BUDGET_PERIODS: readonly KeyBudgetPeriod[] = BUDGET_PERIODS;

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
  /** Model ids (or prefixes ending in `*`) the key may ask for. Default: any. */
  models?: string[];
  /** Whole numbers; anything else is refused naming the field. */
  requestsPerMinute?: number | string;
  tokensPerMinute?: number | string;
  /** When the key stops working: an ISO 8601 instant or epoch ms. */
  expiresAt?: string | number;
  /**
   * A client-chosen id (8–200 characters) that makes the mint idempotent: a retry with the same id
   * and the same request answers the same key, however often and however concurrently it is sent.
   */
  idempotencyKey?: string;
  /** USD: spend per period that raises `limit.crossed` once; below `budget`. */
  softLimit?: string | number;
  /** The user, team and organisation the key belongs to (ids from the gateway's budget hierarchy). */
  user?: string;
  team?: string;
  organisation?: string;
}

export interface CreatedKey {
  record: KeyRecord;
  /** The key itself: shown at creation (and to a retry with the same idempotency key), never stored in the clear. */
  key: string;
  /** True when an earlier mint with the same idempotency key made this key. */
  replayed: boolean;
}

const KEY_PATTERN = /^ddk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Users may be an app's own ids (emails, UUIDs): a little wider than key names. */
const MEMBER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+:-]{0,127}$/;

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

const invalid = (field: string, message: string, hint?: string): DrawdownError =>
  new DrawdownError(GatewayErrorCodes.INVALID_KEY_REQUEST, message, {
    data: { field, ...(hint !== undefined && { hint }) },
  });

const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}\*?$/;
const IDEMPOTENCY_PATTERN = /^[\x21-\x7e]{8,200}$/;

/** Whether a key may ask for `model`: no list allows all; entries match exactly or, ending in `*`, by prefix. */
export function modelAllowed(record: Pick<KeyRecord, 'models'>, model: string): boolean {
  if (record.models === undefined) return true;
  return record.models.some((m) => (m.endsWith('*') ? model.startsWith(m.slice(0, -1)) : m === model));
}

function positiveWhole(field: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw invalid(field, `${field} ${JSON.stringify(value)} is not a positive whole number: write it like ${example}`);
  return value;
}

/** Everything but the idempotency key, in a fixed order: what a retry must repeat to get the same key. */
function fingerprintOf(request: CreateKeyRequest, expiresAt: number | undefined): string {
  const canonical = JSON.stringify([
    request.name,
    request.routes,
    request.budget === undefined ? null : String(request.budget),
    request.period ?? null,
    request.models ?? null,
    request.requestsPerMinute ?? null,
    request.tokensPerMinute ?? null,
    expiresAt ?? null,
    // Budget levels, added later: left out when unused, so keys minted before them keep their fingerprint.
    ...(request.softLimit !== undefined ||
    request.user !== undefined ||
    request.team !== undefined ||
    request.organisation !== undefined
      ? [
          request.softLimit === undefined ? null : String(request.softLimit),
          request.user ?? null,
          request.team ?? null,
          request.organisation ?? null,
        ]
      : []),
  ]);
  return sha256(canonical).toString('hex');
}

const sealKey = (idempotencyKey: string, recordId: string): Buffer =>
  Buffer.from(hkdfSync('sha256', idempotencyKey, recordId, 'drawdown gateway key mint', 32));

function seal(key: string, idempotencyKey: string, recordId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(idempotencyKey, recordId), iv);
  const data = Buffer.concat([cipher.update(key, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64url');
}

function unseal(sealed: string, idempotencyKey: string, recordId: string): string {
  const bytes = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(idempotencyKey, recordId), bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(12, 28));
  return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
}

const newKey = (id: string): string => `ddk_${id}_${randomBytes(32).toString('base64url')}`;

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

/** Validates a create request into the fields of a record (everything but id, hash and times). */
function validateCreate(
  request: CreateKeyRequest,
  entries: readonly RouteEntry[] | undefined,
  now: number,
): Omit<KeyRecord, 'id' | 'hash' | 'createdAt'> {
  if (request === null || typeof request !== 'object') throw invalid('request', 'a key request must be a JSON object');
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
      'Run "drawdown which" to see the route entries.',
    );
  }
  if (entries) {
    for (const id of request.routes) {
      const entry = entries.find((e) => e.id === id);
      if (!entry) {
        throw invalid(
          'routes',
          `--route ${id}: no route entry is called "${id}" (the route has ${entries.map((e) => e.id).join(', ')})`,
          'Run "drawdown which" to see the route entries.',
        );
      }
      if (entry.strategy.kind === 'delegated') {
        throw invalid(
          'routes',
          `--route ${id}: the entry uses the user's own sign-in (delegated), which a gateway cannot forward with`,
          'Pick an entry with an API key or OAuth strategy.',
        );
      }
    }
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
        `period ${JSON.stringify(request.period)} is not one of ${KEY_BUDGET_PERIODS.map((p) => `"${p}"`).join(', ')}: use "day", "week" or "month" for a cap that resets at midnight in the hub's time zone, "lifetime" for one that never does`,
      );
    }
    if (budget === undefined && request.softLimit === undefined) {
      throw invalid(
        'period',
        `period "${request.period}" needs a budget to apply to: add --budget, e.g. --budget 5.00`,
      );
    }
    period = request.period as KeyBudgetPeriod;
  }
  let softLimit: Nanos | undefined;
  if (request.softLimit !== undefined) {
    try {
      softLimit = usd(request.softLimit);
    } catch {
      throw invalid(
        'softLimit',
        `soft limit ${JSON.stringify(request.softLimit)} is not a USD amount: write it like "4.00"`,
      );
    }
    if (softLimit <= 0 || (budget !== undefined && softLimit >= budget))
      throw invalid('softLimit', 'the soft limit must be more than zero and below the budget: write it like "4.00"');
  }
  const members: Pick<KeyRecord, 'user' | 'team' | 'organisation'> = {};
  for (const field of ['user', 'team', 'organisation'] as const) {
    const value = request[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !MEMBER_PATTERN.test(value))
      throw invalid(
        field,
        `${field} ${JSON.stringify(value)} is not a usable id: use letters, digits, ".", "_", "@", "+", ":" or "-" (at most 128)`,
      );
    members[field] = value;
  }
  if (request.models !== undefined) {
    if (
      !Array.isArray(request.models) ||
      request.models.length === 0 ||
      request.models.some((m) => typeof m !== 'string' || !MODEL_PATTERN.test(m))
    ) {
      throw invalid(
        'models',
        `models ${JSON.stringify(request.models)} is not a list of model ids: write them like ["claude-haiku-5-5", "claude-sonnet-*"] (a trailing * allows every id with that prefix)`,
      );
    }
  }
  const limits: KeyRateLimits = {
    ...(request.requestsPerMinute !== undefined && {
      requestsPerMinute: positiveWhole('requestsPerMinute', request.requestsPerMinute, '60'),
    }),
    ...(request.tokensPerMinute !== undefined && {
      tokensPerMinute: positiveWhole('tokensPerMinute', request.tokensPerMinute, '200000'),
    }),
  };
  let expiresAt: number | undefined;
  if (request.expiresAt !== undefined) {
    expiresAt = typeof request.expiresAt === 'number' ? request.expiresAt : Date.parse(request.expiresAt);
    if (!Number.isSafeInteger(expiresAt)) {
      throw invalid(
        'expiresAt',
        `expiresAt ${JSON.stringify(request.expiresAt)} is not an instant: write it like "2026-12-31T23:59:59Z"`,
      );
    }
    if (expiresAt <= now) throw invalid('expiresAt', `expiresAt ${JSON.stringify(request.expiresAt)} is in the past`);
  }
  if (
    request.idempotencyKey !== undefined &&
    (typeof request.idempotencyKey !== 'string' || !IDEMPOTENCY_PATTERN.test(request.idempotencyKey))
  ) {
    throw invalid(
      'idempotencyKey',
      'the idempotency key must be 8–200 printable characters without spaces: use one random id (e.g. a UUID) per key to mint, and send the same one on every retry',
    );
  }
  return {
    name: request.name,
    routes: [...new Set(request.routes)],
    ...(budget !== undefined && { budget, period: period ?? 'lifetime' }),
    ...(softLimit !== undefined && { softLimit, ...(budget === undefined && { period: period ?? 'lifetime' }) }),
    ...members,
    ...(request.models !== undefined && { models: [...new Set(request.models)] }),
    ...(Object.keys(limits).length > 0 && { limits }),
    ...(expiresAt !== undefined && { expiresAt }),
  };
}

const unknownKey = (nameOrId: string): DrawdownError =>
  new DrawdownError(GatewayErrorCodes.UNKNOWN_KEY, `no active key is named "${nameOrId}"`, {
    data: { key: nameOrId, hint: 'Run "drawdown keys list" (or GET /admin/keys) to see the keys.' },
  });

const isActive = (k: KeyRecord, nameOrId: string): boolean =>
  (k.name === nameOrId || k.id === nameOrId) && k.revokedAt === undefined;

/**
 * Creates, lists, revokes and rotates gateway keys in the ledger store's shared state, so every
 * gateway process on the same store (SQLite on one machine, PostgreSQL across hosts) knows the
 * same keys. A key is `ddk_<id>_<secret>`: the id finds the record, the whole key's SHA-256 is
 * compared in constant time. The key itself is returned by `create` and `rotate` and never stored
 * in the clear. `drawdown keys` and the gateway's admin API both go through this one object.
 * Pass the route's `entries` to have each key's routes checked against them.
 */
export function keyManager(store: LedgerStore, options: { now?: () => number; entries?: readonly RouteEntry[] } = {}) {
  const now = options.now ?? Date.now;
  return {
    async create(request: CreateKeyRequest): Promise<CreatedKey> {
      const fields = validateCreate(request, options.entries, now());
      const idempotencyKey = request.idempotencyKey;
      const mintId = idempotencyKey === undefined ? undefined : sha256(`mint:${idempotencyKey}`).toString('hex');
      const fingerprint = fingerprintOf(request, fields.expiresAt);
      return underKeysLease(store, now, async () => {
        const doc = await read(store);
        if (mintId !== undefined) {
          const earlier = doc.keys.find((k) => k.mint?.id === mintId);
          if (earlier) {
            if (earlier.mint!.fingerprint !== fingerprint) {
              throw new DrawdownError(
                GatewayErrorCodes.IDEMPOTENCY_CONFLICT,
                `idempotency key already minted key "${earlier.name}" (id ${earlier.id}) with other settings`,
                {
                  data: {
                    key: earlier.id,
                    hint: 'Send a retry with exactly the same request, or use a new idempotency key for a new key.',
                  },
                },
              );
            }
            return { record: earlier, key: unseal(earlier.mint!.sealed, idempotencyKey!, earlier.id), replayed: true };
          }
        }
        if (doc.keys.some((k) => k.name === fields.name && k.revokedAt === undefined)) {
          throw invalid(
            'name',
            `a key named "${fields.name}" already exists: revoke it first ("drawdown keys revoke ${fields.name}") or pick another name`,
          );
        }
        const id = base32(randomBytes(8)).slice(0, 12);
        const key = newKey(id);
        const record: KeyRecord = {
          id,
          ...fields,
          hash: sha256(key).toString('hex'),
          ...(mintId !== undefined && { mint: { id: mintId, fingerprint, sealed: seal(key, idempotencyKey!, id) } }),
          createdAt: now(),
        };
        await store.setState(KEYS_STATE_KEY, { version: 1, keys: [...doc.keys, record] } satisfies KeysDocument);
        return { record, key, replayed: false };
      });
    },

    /** Every key record (revoked ones too, marked), oldest first. */
    async list(): Promise<KeyRecord[]> {
      return (await read(store)).keys;
    },

    /** The active key with this name or id. */
    async get(nameOrId: string): Promise<KeyRecord> {
      const found = (await read(store)).keys.find((k) => isActive(k, nameOrId));
      if (!found) throw unknownKey(nameOrId);
      return found;
    },

    /** Revokes a key by name or id; requests with it are refused from then on. */
    async revoke(nameOrId: string): Promise<KeyRecord> {
      return (await change(nameOrId, (record) => ({ record: { ...record, revokedAt: now() }, key: undefined }))).record;
    },

    /**
     * Replaces a key's secret: the new key is returned once and the old one is refused from then
     * on; id, name, limits and spend stay. A mint retried after a rotation no longer answers a key.
     */
    async rotate(nameOrId: string): Promise<{ record: KeyRecord; key: string }> {
      const { record, key } = await change(nameOrId, (old) => {
        const fresh = newKey(old.id);
        const { mint: _, ...rest } = old;
        return { record: { ...rest, hash: sha256(fresh).toString('hex'), rotatedAt: now() }, key: fresh };
      });
      return { record, key: key! };
    },
  };

  async function change(
    nameOrId: string,
    update: (record: KeyRecord) => { record: KeyRecord; key: string | undefined },
  ): Promise<{ record: KeyRecord; key: string | undefined }> {
    return underKeysLease(store, now, async () => {
      const doc = await read(store);
      const index = doc.keys.findIndex((k) => isActive(k, nameOrId));
      if (index < 0) throw unknownKey(nameOrId);
      const changed = update(doc.keys[index]!);
      const keys = doc.keys.slice();
      keys[index] = changed.record;
      await store.setState(KEYS_STATE_KEY, { version: 1, keys } satisfies KeysDocument);
      return changed;
    });
  }
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
