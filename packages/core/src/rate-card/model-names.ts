/**
 * Reduces the many spellings of a model id to the API form: dated snapshots (`-20250929`,
 * Vertex's `@20250929`), `-latest`, Bedrock names (`anthropic.` with any inference-profile prefix
 * such as `global.`, `us.`, `eu.`, `apac.`, `jp.`, `au.`, and a `-v1:0` version suffix), and Claude
 * Code's context selector (`[1m]`), which does not change the price.
 */
export function normalizeModelName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/\[[^\]]*\]$/, '')
    .replace(/^(?:[a-z]+\.)?anthropic\./, '')
    .replace(/-v\d+(?::\d+)?$/, '')
    .replace(/[-@]\d{8}$/, '')
    .replace(/-latest$/, '');
}
/** Whether a name is a Bedrock model id (`anthropic.…`, with or without an inference-profile prefix). */
export function isBedrockName(name: string): boolean {
  return /^(?:[a-z]+\.)?anthropic\./.test(name.trim().toLowerCase());
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The known names closest to `name`, best first. */
export function closestNames(name: string, known: Iterable<string>, limit = 3): string[] {
  const target = normalizeModelName(name);
  return [...new Set(known)]
    .map((candidate) => ({ candidate, distance: editDistance(target, candidate) }))
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map((entry) => entry.candidate);
}
