import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A fenced code block of a README, with the heading it sits under. */
export interface CodeBlock {
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  heading: string;
}

/** Every fenced code block of a Markdown file, in order. */
export function codeBlocks(file: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let heading = '';
  let open: { lang: string; line: number; lines: string[] } | undefined;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (open) {
        if (text.startsWith('```')) {
          blocks.push({ lang: open.lang, code: `${open.lines.join('\n')}\n`, line: open.line, heading });
          open = undefined;
        } else open.lines.push(text);
      } else if (text.startsWith('```')) open = { lang: text.slice(3).trim(), line: i + 1, lines: [] };
      else if (/^#+ /.test(text)) heading = text.replace(/^#+ /, '');
    });
  return blocks;
}

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/**
 * Type-checks TypeScript blocks exactly as written, as modules of the package in `packageDir` (so
 * its imports resolve as a user's would), and returns the compiler's complaints about the blocks.
 */
export function typecheckBlocks(blocks: CodeBlock[], packageDir: string): string[] {
  const dir = path.join(packageDir, 'test', `.readme-check-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const files = blocks.map((block) => {
      const file = path.join(dir, `line-${block.line}.ts`);
      writeFileSync(
        file,
        block.code.includes('import ') || block.code.includes('export ') ? block.code : `${block.code}export {};\n`,
      );
      return file;
    });
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: path.join(repoRoot, 'tsconfig.base.json'),
        compilerOptions: {
          noEmit: true,
          composite: false,
          declaration: false,
          incremental: false,
          noUnusedLocals: false,
        },
        files,
      }),
    );
    const result = spawnSync(
      process.execPath,
      [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')],
      { encoding: 'utf8', timeout: 240_000 },
    );
    // Only the blocks' own errors count: the packages they import are checked by their own build.
    return `${result.stdout}${result.stderr}`
      .split('\n')
      .filter((line) => line.includes('.readme-check-') && /error TS/.test(line));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a block to a module inside the package (so imports resolve) and returns its path; remove it after. */
export function blockFile(block: CodeBlock, packageDir: string): string {
  const dir = path.join(packageDir, 'test', `.readme-run-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `line-${block.line}.ts`);
  writeFileSync(file, block.code);
  return file;
}

/** Runs a TypeScript file the way a user runs a copied example (tsx, sources of the workspace), collecting its output. */
export function runTs(
  file: string,
  packageDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=drawdown-source', '--import', 'tsx', file], {
      cwd: packageDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
