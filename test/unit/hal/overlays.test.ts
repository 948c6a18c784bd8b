import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand, needs } from '../../helpers/needs.js';

const root = 'hardware/overlays';
const overlays = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(root, d.name))
      .filter((f) => f.endsWith('.dts'))
      .map((f) => join(root, d.name, f)),
  );

describe.runIf(needs('device-tree-compiler (dtc)', hasCommand('dtc', ['--version'])))(
  'device-tree overlays',
  () => {
    it('ships an overlay for each board part', () => {
      expect(overlays.length).toBeGreaterThanOrEqual(5);
    });

    it.each(overlays)('%s compiles with dtc -@, without warnings', (file) => {
      const r = spawnSync('dtc', ['-@', '-I', 'dts', '-O', 'dtb', '-o', '/dev/null', file], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    });
  },
);
