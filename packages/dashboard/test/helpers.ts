import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

export const tempLedger = (): string => join(mkdtempSync(join(tmpdir(), 'drawdown-dashboard-')), 'ledger.sqlite');

/** The text a person sees in an element: Playwright's rendered text, so hidden text and markup whitespace stay out. */
export const shownText = (locator: Locator): Promise<string> =>
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText() (rendered text), not the DOM property the rule is about
  locator.innerText();

/**
 * The few DOM shapes the tests read inside `page.evaluate`: the Node test program has no DOM lib, so
 * the page's globals are declared here rather than read as `any`.
 */
export interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  tagName: string;
  value?: string;
  getAttribute(name: string): string | null;
}

export interface PageGlobals {
  document: {
    documentElement: { scrollWidth: number };
    activeElement: PageElement;
    querySelector(selector: string): PageElement | null;
  };
  MutationObserver: new (
    callback: () => void,
  ) => {
    observe(target: PageElement, options: { childList?: boolean; subtree?: boolean; characterData?: boolean }): void;
  };
  getComputedStyle(element: PageElement): { outlineStyle: string; outlineWidth: string; borderLeftColor: string };
  /** Set by the live-update test when the trial card's balance first changes (epoch ms). */
  __changedAt?: number;
}

export interface SettleChild {
  /** Charges one request in the child; resolves with the instant (epoch ms) the child's charge was committed. */
  settle(request: {
    requestId: string;
    entry: string;
    model: string;
    input: number;
    output: number;
  }): Promise<{ ack: number; costUsd: string }>;
  close(): Promise<void>;
}

/** Another process on the same SQLite ledger (a small tsx script), driven over IPC. */
export function startSettleChild(file: string): Promise<SettleChild> {
  const child: ChildProcess = fork(join(here, 'fixtures', 'settle-child.ts'), [file], {
    execArgv: ['--conditions=drawdown-source', '--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`settle child exited with ${code}: ${stderr}`)));
    child.once('message', () =>
      resolve({
        settle: (request) =>
          new Promise((done, fail) => {
            child.once('message', (m: { ack?: number; costUsd?: string; error?: string }) =>
              m.error ? fail(new Error(m.error)) : done({ ack: m.ack!, costUsd: m.costUsd! }),
            );
            child.send(request);
          }),
        close: () =>
          new Promise<void>((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.disconnect();
          }),
      }),
    );
  });
}

export { recentClaudeLogs } from '../../../test-support/claude-logs.js';
