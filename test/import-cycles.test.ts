import { describe, expect, it } from 'vitest';
import { cycles, fileGraph, packageGraph, shown, workspacePackages } from './import-graph.js';

describe('the workspace imports in one direction', () => {
  const packages = workspacePackages();

  it('has no cycle between workspace packages, counting every kind of dependency', () => {
    const graph = packageGraph(packages);
    expect(graph.get('@drawdown/dashboard')).toContain('@drawdown/mcp-server');
    expect(cycles(graph)).toEqual([]);
  });

  it('has no cycle between source files, type-only imports included', () => {
    const graph = fileGraph(packages);
    // The reader sees through package names and `.js` specifiers, or it would find nothing.
    const snapshot = [...graph.keys()].find((file) => shown(file) === 'packages/dashboard/src/snapshot.ts')!;
    expect(graph.get(snapshot)!.map(shown)).toContain('packages/mcp-server/src/index.ts');
    expect(cycles(graph).map((members) => members.map(shown))).toEqual([]);
  });
});

describe('the cycle finder', () => {
  it('finds a loop through three nodes and a node importing itself, and nothing in a diamond', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', ['d']],
      ['e', ['f', 'g']],
      ['f', ['h']],
      ['g', ['h']],
      ['h', []],
    ]);
    expect(cycles(graph)).toEqual([['d'], ['a', 'b', 'c']]);
  });
});
