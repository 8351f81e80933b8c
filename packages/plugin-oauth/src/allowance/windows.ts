import type { LimitStatus, PlanObservation, WindowKind } from './signals.js';

/** One plan window as last reported, kept in the store so every process sees it. */
export interface StoredWindow {
  status: LimitStatus;
  utilization?: number;
  resetsAt?: number;
  surpassedThreshold?: number;
  /** When the signal that set it was observed. */
  at: number;
}

/** The plan-allowance pool's shared state (`store.setState('allowance:<poolId>', ...)`). */
export interface AllowanceState {
  version: 1;
  windows: Record<string, StoredWindow>;
  /** The window that decided the last signal. */
  binding?: WindowKind;
  overageDisabledReason?: string;
  usingOverage?: boolean;
  updatedAt: number;
}

export const emptyAllowanceState = (): AllowanceState => ({ version: 1, windows: {}, updatedAt: 0 });

/**
 * A rejected window whose reset time was never reported is looked at again after this long, so a
 * plan is never locked out for good by one signal without a reset.
 */
export const UNKNOWN_RESET_RECHECK_MS = 60 * 60_000;

/**
 * Folds one observation into the state. Per window, a newer signal wins over an older one (signals
 * from several processes arrive out of order). A signal whose request was admitted means no plan
 * window is refusing right now, so an earlier `rejected` is lifted.
 */
export function mergeObservation(state: AllowanceState, observation: PlanObservation, warnAt: number): AllowanceState {
  const windows = { ...state.windows };
  for (const [kind, reading] of Object.entries(observation.windows)) {
    const before = windows[kind];
    if (before && before.at > observation.at) continue;
    const derived: LimitStatus =
      reading.surpassedThreshold !== undefined || (reading.utilization ?? 0) >= warnAt ? 'allowed_warning' : 'allowed';
    const next: StoredWindow = { status: reading.status ?? derived, at: observation.at };
    const utilization = reading.utilization ?? before?.utilization;
    const resetsAt =
      reading.resetsAt ??
      (before?.resetsAt !== undefined && before.resetsAt > observation.at ? before.resetsAt : undefined);
    if (utilization !== undefined) next.utilization = utilization;
    if (resetsAt !== undefined) next.resetsAt = resetsAt;
    if (reading.surpassedThreshold !== undefined) next.surpassedThreshold = reading.surpassedThreshold;
    windows[kind] = next;
  }
  if (observation.status !== undefined && observation.status !== 'rejected') {
    for (const [kind, window] of Object.entries(windows)) {
      if (
        kind !== 'overage' &&
        window.status === 'rejected' &&
        window.at <= observation.at &&
        !(kind in observation.windows)
      ) {
        windows[kind] = {
          ...window,
          status: (window.utilization ?? 0) >= warnAt ? 'allowed_warning' : 'allowed',
          at: observation.at,
        };
      }
    }
  }
  const newer = observation.at >= state.updatedAt;
  const binding = newer ? (observation.binding ?? state.binding) : state.binding;
  const overageDisabledReason = newer ? observation.overageDisabledReason : state.overageDisabledReason;
  const usingOverage = newer ? observation.usingOverage : state.usingOverage;
  return {
    version: 1,
    windows,
    ...(binding !== undefined && { binding }),
    ...(overageDisabledReason !== undefined && { overageDisabledReason }),
    ...(usingOverage !== undefined && { usingOverage }),
    updatedAt: Math.max(state.updatedAt, observation.at),
  };
}

export interface EffectiveWindow {
  kind: WindowKind;
  status: LimitStatus;
  utilization?: number;
  resetsAt?: number;
  /** The reported reset time has passed: the window counts as fresh. */
  reset: boolean;
}

export interface AllowanceEvaluation {
  state: 'available' | 'low' | 'exhausted';
  /** The window that explains the state (the one to name in messages). */
  binding?: EffectiveWindow;
  windows: EffectiveWindow[];
  /** When the plan can pay again (exhausted), or when the binding window resets. */
  resetsAt?: number;
}

/** Where the plan stands at `now`: windows past their reset time count as fresh. */
export function evaluateAllowance(state: AllowanceState, now: number, warnAt: number): AllowanceEvaluation {
  const windows: EffectiveWindow[] = Object.entries(state.windows).map(([kind, w]) => {
    const resetsAt = w.resetsAt ?? (w.status === 'rejected' ? w.at + UNKNOWN_RESET_RECHECK_MS : undefined);
    if (resetsAt !== undefined && resetsAt <= now) return { kind, status: 'allowed', utilization: 0, reset: true };
    return {
      kind,
      status: w.status,
      ...(w.utilization !== undefined && { utilization: w.utilization }),
      ...(resetsAt !== undefined && { resetsAt }),
      reset: false,
    };
  });
  const overage = windows.find((w) => w.kind === 'overage');
  const onOverage = state.usingOverage === true && overage !== undefined && overage.status !== 'rejected';
  // Extra usage running out refuses requests only when it was what decided the last one.
  const rejected = windows.filter(
    (w) => w.status === 'rejected' && (w.kind !== 'overage' || state.binding === 'overage'),
  );
  if (rejected.length > 0 && !onOverage) {
    // The plan pays again only when every refusing window has reset: the latest reset binds.
    const binding = rejected.reduce((a, b) => ((b.resetsAt ?? Infinity) > (a.resetsAt ?? Infinity) ? b : a));
    return {
      state: 'exhausted',
      binding,
      windows,
      ...(binding.resetsAt !== undefined && { resetsAt: binding.resetsAt }),
    };
  }
  const warned = windows.filter(
    (w) =>
      w.kind !== 'overage' &&
      (w.status === 'allowed_warning' || w.status === 'rejected' || (w.utilization ?? 0) >= warnAt),
  );
  const byUse = (list: EffectiveWindow[]): EffectiveWindow | undefined =>
    list.reduce<EffectiveWindow | undefined>(
      (a, b) => (a === undefined || (b.utilization ?? 0) > (a.utilization ?? 0) ? b : a),
      undefined,
    );
  if (warned.length > 0 || onOverage) {
    const binding = onOverage ? overage : byUse(warned);
    return {
      state: 'low',
      ...(binding && { binding }),
      windows,
      ...(binding?.resetsAt !== undefined && { resetsAt: binding.resetsAt }),
    };
  }
  const named = windows.find((w) => w.kind === state.binding && !w.reset);
  const binding = named ?? byUse(windows.filter((w) => w.kind !== 'overage'));
  return {
    state: 'available',
    ...(binding && { binding }),
    windows,
    ...(binding?.resetsAt !== undefined && { resetsAt: binding.resetsAt }),
  };
}
