import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../packages/core/test/fixtures/claude-code-logs/sessions/', import.meta.url));

/** A small deterministic generator (mulberry32), so every run builds the same tree. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const DAY_MS = 86_400_000;

/**
 * A `projects/` tree like a heavy Claude Code user's: `files` session logs adding up to about
 * `bytes`, every one made of the real session logs the pinned Claude Code wrote (the fixtures),
 * replayed with fresh message, request and session ids and timestamps spread over 90 days before
 * `now`. One log in ten starts with lines copied from the one before, as a resumed session does.
 */
export function writeClaudeLogTree(
  root: string,
  options: { files: number; bytes: number; now: number; seed?: number },
): { files: number; bytes: number; sessions: number } {
  const next = random(options.seed ?? 21);
  const sessions = readdirSync(fixtures)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => readFileSync(join(fixtures, f), 'utf8'));
  const perFile = options.bytes / options.files;
  let written = 0;
  let replays = 0;
  let previous = '';
  for (let i = 0; i < options.files; i++) {
    const project = join(root, 'projects', `-home-user-project-${i % 40}`);
    mkdirSync(project, { recursive: true });
    // Sizes vary from a third to twice the mean; the running total keeps the tree near `bytes`.
    const target = Math.max(1, perFile * (0.35 + next() * 1.3) + (perFile * (i + 1) - written) * 0.5);
    let text = i % 10 === 9 ? previous.slice(0, previous.indexOf('\n', previous.length >> 1) + 1) : '';
    const start = options.now - Math.floor(next() * 90) * DAY_MS - Math.floor(next() * DAY_MS);
    let turn = 0;
    while (text.length < target) {
      const n = ++replays;
      const shift = start + turn++ * 60_000;
      const source = sessions[Math.floor(next() * sessions.length)]!;
      const base = Date.parse(/"timestamp":"([^"]+)"/.exec(source)![1]!);
      text += source
        .replace(/\b(msg|req)_([A-Za-z0-9]+)/g, (_, kind: string, id: string) => `${kind}_${id}${n.toString(36)}`)
        .replace(
          /\b([0-9a-f]{8})-[0-9a-f]{4}-/g,
          (_, a: string) => `${a}-${(n % 65_536).toString(16).padStart(4, '0')}-`,
        )
        .replace(
          /"timestamp":"([^"]+)"/g,
          (_, at: string) => `"timestamp":"${new Date(Date.parse(at) - base + shift).toISOString()}"`,
        );
    }
    writeFileSync(join(project, `session-${i}.jsonl`), text);
    written += Buffer.byteLength(text);
    previous = text;
  }
  return { files: options.files, bytes: written, sessions: replays };
}
