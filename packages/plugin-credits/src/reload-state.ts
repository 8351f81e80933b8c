import type { AutoReloadPolicy, Nanos } from '@drawdown/core';

/** The auto-reload policy in force, shared by every process through the store. */
export interface PolicyRecord {
  policy: AutoReloadPolicy | null;
  /** Changes with every `setAutoReload`; a disablement applies only to the version it saw fail. */
  version: string;
}

/** A reload that started and has not succeeded yet. Its keys survive crashes, so a retry never double-charges. */
export interface PendingReload {
  /** Stable id of this reload; the grant id derives from the key of the attempt that succeeds. */
  key: string;
  /** Idempotency key of the next attempt: the same after an unknown outcome, new after a definite failure. */
  attemptKey: string;
  amount: Nanos;
  attempts: number;
}

/** Everything auto-reload remembers between attempts and processes. Written only under the reload lease. */
export interface ReloadRecord {
  pending?: PendingReload;
  /** Consecutive failed attempts. */
  failures: number;
  disabled?: { reason: string; at: number; version: string };
  /** Reloaded so far in the calendar month `key` (hub time zone). */
  month?: { key: string; reloaded: Nanos };
  last?: { at: number; amount: Nanos; grantId: string };
  lastFailure?: { at: number; message: string };
  /** The monthly reload limit stopped a reload in this month. */
  limitReachedIn?: string;
}

export const policyKey = (poolId: string): string => `credits:${poolId}:auto-reload`;
export const reloadKey = (poolId: string): string => `credits:${poolId}:reload`;
export const leaseName = (poolId: string): string => `credits:${poolId}:reload`;
