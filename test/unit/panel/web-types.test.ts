// The page is plain JavaScript served as written; its JSDoc types are checked here, as a browser
// program against the DOM and the server's own message types (src/sim/panel/web/tsconfig.json).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('panel page types', () => {
  it('type-check as a browser program', () => {
    const r = spawnSync(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-p', 'src/sim/panel/web/tsconfig.json'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
