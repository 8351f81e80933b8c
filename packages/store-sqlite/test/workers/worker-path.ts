import { fileURLToPath } from 'node:url';

export const WORKER = fileURLToPath(new URL('./ledger-worker.ts', import.meta.url));
