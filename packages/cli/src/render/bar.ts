const eighths = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of `width` cells for a share 0–1, with eighth-cell precision. */
export function bar(share: number, width: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0));
  const total = Math.round(clamped * width * 8);
  const full = Math.floor(total / 8);
  return '█'.repeat(full) + (eighths[total % 8] ?? '');
}

/** A usage meter: filled cells, then light shade for what is left, always `width` cells. */
export function meter(share: number, width: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0));
  const filled = Math.round(clamped * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** 0.364 → " 36%"; always four characters so columns line up. */
export function percent(share: number): string {
  return `${Math.round(Math.min(1, Math.max(0, share)) * 100)}%`.padStart(4);
}
