// ALSA for tests on machines without a sound card (CI, laptops). An ALSA configuration of our own,
// pointed at by ALSA_CONFIG_PATH (which replaces the system's alsa.conf and every user file), makes
// what the drivers open hermetic: a null PCM that discards playback and captures junk (alsa-lib
// 1.2.8 leaves stray bytes in its buffer, not silence; measured), never a laptop's real speakers or
// PipeWire. Tests stub the variable in their own worker only (vi.stubEnv), so the runner's
// environment is untouched. Also fake arecord/aplay scripts for PATH, to drive the drivers through
// failures a real device cannot be made to produce on demand.
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tmpDir } from './tmp.js';

/**
 * Writes an ALSA configuration and returns its path. `null` is always defined; `default` is a null
 * PCM too unless `withDefault` is false, which is a machine where opening the default PCM fails.
 */
export function alsaConfig(withDefault: boolean): string {
  const path = join(tmpDir('kith-alsa-'), 'asound.conf');
  const lines = ['pcm.null { type null }'];
  if (withDefault) lines.push('pcm.!default { type null }');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** A directory holding an executable `name` that runs `script` with sh; put it first on PATH. */
export function fakeTool(name: string, script: string): string {
  const dir = tmpDir('kith-fake-');
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return dir;
}

/**
 * True when the optional `speaker` package is installed and built. It is not loaded to find out:
 * loading it without a default ALSA PCM aborts the process (FIELD-NOTES).
 */
export function speakerBuilt(): boolean {
  try {
    const main = createRequire(import.meta.url).resolve('speaker');
    return existsSync(join(dirname(main), 'build', 'Release', 'binding.node'));
  } catch {
    return false;
  }
}
