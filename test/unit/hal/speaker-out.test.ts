// SpeakerOut, the optional in-process playback driver. Its guard is tested where a mistake would be
// fatal, in child processes running the compiled module: first that loading `speaker` really does
// abort a process whose ALSA has no default PCM, then that SpeakerOut in the same situation reports
// an error and the process lives on.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KithError } from '../../../src/errors.js';
import { SpeakerOut } from '../../../src/hal/speaker-out.js';
import { alsaConfig, speakerBuilt } from '../../helpers/alsa.js';
import { withTimeout } from '../../helpers/kith.js';
import { hasCommand, needs } from '../../helpers/needs.js';
import { tmpDir } from '../../helpers/tmp.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const compiled = join(root, 'dist/src/hal/speaker-out.js');

/** Runs SpeakerOut.start() in a fresh node and returns how that process ended and what it reported. */
function startInChild(modulePath: string, env: NodeJS.ProcessEnv) {
  const script = `
    import { SpeakerOut } from ${JSON.stringify(modulePath)};
    const out = new SpeakerOut();
    out.start((e) => { console.log(JSON.stringify({ code: e.code, message: e.message })); out.stop(); });
    out.write(new Int16Array(320));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  const reported =
    r.stdout.trim() === '' ? undefined : (JSON.parse(r.stdout) as { code: string; message: string });
  return { status: r.status, signal: r.signal, reported, stderr: r.stderr };
}

describe('SpeakerOut without the speaker package', () => {
  it('reports AUDIO_DRIVER_MISSING', () => {
    // The compiled driver, copied where no node_modules is above it, cannot resolve "speaker".
    const dir = tmpDir();
    mkdirSync(join(dir, 'src'));
    cpSync(join(root, 'dist/src/hal'), join(dir, 'src/hal'), { recursive: true });
    cpSync(join(root, 'dist/src/errors.js'), join(dir, 'src/errors.js'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const r = startInChild(join(dir, 'src/hal/speaker-out.js'), {});
    expect(r.status).toBe(0);
    expect(r.reported?.code).toBe('AUDIO_DRIVER_MISSING');
    expect(r.reported?.message).toContain(
      'the optional package "speaker" is not installed: install libasound2-dev',
    );
  });
});

describe.runIf(
  needs('alsa-utils', hasCommand('aplay', ['--version'])) &&
    needs(
      'the speaker package (optional dependency; .ci/run installs libasound2-dev to build it)',
      speakerBuilt(),
    ),
)('SpeakerOut (speaker on a null PCM)', () => {
  it('guards the load: bare speaker aborts without a default PCM, SpeakerOut reports it instead', () => {
    const env = { ALSA_CONFIG_PATH: alsaConfig(false) };
    const bare = spawnSync(process.execPath, ['-e', 'require("speaker")'], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(bare.signal).toBe('SIGABRT');
    expect(bare.stderr).toContain("snd_pcm_hw_refine: Assertion `pcm && params' failed");

    const guarded = startInChild(compiled, env);
    expect(guarded.signal).toBe(null);
    expect(guarded.status).toBe(0);
    expect(guarded.reported?.code).toBe('AUDIO_DEVICE_MISSING');
    expect(guarded.reported?.message).toMatch(
      /^speaker was not loaded: loading it opens ALSA's default PCM and aborts the whole process .*Unknown PCM default/,
    );
  });

  describe('in this process', () => {
    beforeEach(() => {
      vi.stubEnv('ALSA_CONFIG_PATH', alsaConfig(true));
    });
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('starts, takes frames (queued while it opens) and stops without an error', async () => {
      const out = new SpeakerOut();
      const errors: KithError[] = [];
      out.start((e) => errors.push(e));
      for (let i = 0; i < 5; i++) out.write(new Int16Array(320).fill(i));
      // Give the probes and the first writes time to fail, if they were going to.
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < 20; i++) {
        out.write(new Int16Array(320));
        await new Promise((r) => setTimeout(r, 20)); // paced, as a call writes
      }
      out.stop();
      out.stop();
      out.write(new Int16Array(320));
      expect(errors).toEqual([]);
      expect(out.droppedFrames).toBe(0);
    });

    it('reports a device that does not exist as AUDIO_DEVICE_MISSING', async () => {
      const out = new SpeakerOut({ device: 'kith-no-such-pcm' });
      const err = await withTimeout(
        new Promise<KithError>((resolve) => out.start(resolve)),
        10_000,
        'no error was reported',
      );
      expect(err.code).toBe('AUDIO_DEVICE_MISSING');
      expect(err.message).toContain('Unknown PCM kith-no-such-pcm');
      out.stop();
    });

    it('refuses a wrong-sized frame and a write before start', () => {
      const out = new SpeakerOut();
      expect(() => out.write(new Int16Array(320))).toThrow(expect.objectContaining({ code: 'AUDIO_MISUSE' }));
      expect(() => out.write(new Int16Array(1))).toThrow(
        expect.objectContaining({ code: 'AUDIO_BAD_FRAME' }),
      );
    });
  });
});
