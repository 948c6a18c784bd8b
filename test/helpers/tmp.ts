// Temporary directories under /tmp with short names: a control socket path must fit in 107 bytes.
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll } from 'vitest';

const made: string[] = [];

export function tmpDir(prefix = 'kith-'): string {
  const dir = mkdtempSync(`/tmp/${prefix}`);
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
