import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The workspace's import graph, read from the sources: which workspace package depends on which
 * (package.json), and which file imports which (static, type-only and literal dynamic imports,
 * relative or through a workspace package's `drawdown-source` export). Anything outside the
 * workspace is a leaf and left out.
 */

export const workspaceRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
}

interface WorkspacePackage {
  dir: string;
  manifest: Manifest;
}

export function workspacePackages(): WorkspacePackage[] {
  return ['packages', 'examples'].flatMap((group) =>
    readdirSync(join(workspaceRoot, group))
      .map((name) => join(workspaceRoot, group, name))
      .filter((dir) => existsSync(join(dir, 'package.json')))
      .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest })),
  );
}

/** Package name → the workspace packages it names in any kind of dependency, as pnpm links them. */
export function packageGraph(packages = workspacePackages()): Map<string, string[]> {
  const names = new Set(packages.map((p) => p.manifest.name));
  return new Map(
    packages.map(({ manifest }) => {
      const named = [
        manifest.dependencies,
        manifest.devDependencies,
        manifest.peerDependencies,
        manifest.optionalDependencies,
      ].flatMap((deps) => Object.keys(deps ?? {}));
      return [manifest.name, [...new Set(named)].filter((name) => names.has(name))];
    }),
  );
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|tsx)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `.js` in a specifier names the `.ts` beside it (TypeScript's ESM convention). */
function asSourceFile(path: string): string | undefined {
  const candidates = [path, path.replace(/\.js$/, '.ts'), path.replace(/\.mjs$/, '.mts'), `${path}.ts`];
  candidates.push(join(path, 'index.ts'));
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

function exportTarget(entry: string | Record<string, string> | undefined): string | undefined {
  if (entry === undefined || typeof entry === 'string') return entry;
  return entry['drawdown-source'] ?? entry.default;
}

/** File → the workspace files it imports. Covers every package's and example's `src` and `test`. */
export function fileGraph(packages = workspacePackages()): Map<string, string[]> {
  const byName = new Map(packages.map((p) => [p.manifest.name, p]));
  const resolveSpecifier = (from: string, specifier: string): string | undefined => {
    if (specifier.startsWith('.')) return asSourceFile(resolve(dirname(from), specifier));
    const match = /^(@drawdown\/[^/]+)(\/.*)?$/.exec(specifier);
    const target = match && byName.get(match[1]!);
    if (!target) return undefined;
    const path = exportTarget(target.manifest.exports?.[`.${match[2] ?? ''}`]);
    return path === undefined ? undefined : asSourceFile(join(target.dir, path));
  };
  const files = packages.flatMap(({ dir }) => [...sourceFiles(join(dir, 'src')), ...sourceFiles(join(dir, 'test'))]);
  return new Map(
    files.map((file) => {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      const targets = importedFiles
        .map(({ fileName }) => resolveSpecifier(file, fileName))
        .filter((target): target is string => target !== undefined);
      return [file, [...new Set(targets)]];
    }),
  );
}

/**
 * Every cycle's members, one group per strongly connected component (Tarjan), each group sorted;
 * a node that imports itself is a group of one.
 */
export function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const members: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      members.push(member);
    } while (member !== node);
    if (members.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(members.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

export const shown = (path: string): string => relative(workspaceRoot, path);
