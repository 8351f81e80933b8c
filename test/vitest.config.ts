import { defineProject } from 'vitest/config';

// Checks over the whole workspace (its packages and the imports between their files), not one package.
export default defineProject({
  test: {
    name: 'workspace',
    include: ['*.test.ts'],
  },
});
