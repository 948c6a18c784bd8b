// The real drivers against real alsa-utils and alsa-lib, on a null PCM from our own ALSA
// configuration (test/helpers/alsa.ts). The null device is not paced in real time, so these assert
// sizes, counts and errors, never timing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KithError } from '../../../src/errors.js';
import type { PcmFormat } from '../../../src/hal/audio.js';
import { AlsaIn } from '../../../src/hal/alsa-in.js';
import { AlsaOut } from '../../../src/hal/alsa-out.js';
import { alsaConfig } from '../../helpers/alsa.js';
import { withTimeout } from '../../helpers/kith.js';
import { hasCommand, needs } from '../../helpers/needs.js';

function firstError(start: (onError: (err: KithError) => void) => void): Promise<KithError> {
  return withTimeout(new Promise<KithError>(start), 10_000, 'no error was reported');
}

describe.runIf(needs('alsa-utils', hasCommand('arecord', ['--version'])))('ALSA drivers (null PCM)', () => {
  beforeEach(() => {
    vi.stubEnv('ALSA_CONFIG_PATH', alsaConfig(true));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each([16000, 48000] as const)('AlsaIn delivers frames of exactly 20 ms at %i Hz', async (sampleRate) => {
    const format: PcmFormat = { sampleRate, channels: 1 };
    const mic = new AlsaIn({ format });
    const frames: Int16Array[] = [];
    const errors: KithError[] = [];
    await withTimeout(
      new Promise<void>((resolve) =>
        mic.start(
          (f) => {
            frames.push(f);
            if (frames.length === 100) {
              mic.stop();
              resolve();
            }
          },
          (e) => {
            errors.push(e);
            resolve();
          },
        ),
      ),
      10_000,
      'arecord delivered fewer than 100 frames',
    );
    mic.stop();
    expect(errors).toEqual([]);
    expect(frames).toHaveLength(100);
    expect(frames.every((f) => f.length === sampleRate / 50)).toBe(true);
    // Not the contents: alsa-lib's null capture is not silence (measured: zeros with stray pointer
    // bytes in every period). alsa-child.test.ts checks contents through a fake arecord.
  });

  it('AlsaIn reports a device that does not exist as AUDIO_DEVICE_MISSING', async () => {
    const mic = new AlsaIn({ device: 'kith-no-such-pcm' });
    const err = await firstError((onError) => mic.start(() => {}, onError));
    expect(err.code).toBe('AUDIO_DEVICE_MISSING');
    expect(err.message).toContain('ALSA: Unknown PCM kith-no-such-pcm');
    mic.stop();
  });

  it('AlsaOut starts, takes frames and stops without an error', async () => {
    const out = new AlsaOut();
    const errors: KithError[] = [];
    out.start((e) => errors.push(e));
    for (let i = 0; i < 50; i++) out.write(new Int16Array(320).fill(i * 100));
    // Give aplay time to open the device and fail, if it were going to.
    await new Promise((r) => setTimeout(r, 300));
    out.stop();
    out.stop();
    expect(errors).toEqual([]);
    expect(out.droppedFrames).toBe(0);
  });

  it('AlsaOut reports a device that does not exist as AUDIO_DEVICE_MISSING', async () => {
    const out = new AlsaOut({ device: 'kith-no-such-pcm', format: { sampleRate: 48000, channels: 1 } });
    const err = await firstError((onError) => out.start(onError));
    out.write(new Int16Array(960));
    expect(err.code).toBe('AUDIO_DEVICE_MISSING');
    expect(err.message).toMatch(/^ALSA device "kith-no-such-pcm" does not exist .*aplay -L/);
    out.stop();
  });

  it('both report AUDIO_DEVICE_MISSING when ALSA has no default PCM at all', async () => {
    vi.stubEnv('ALSA_CONFIG_PATH', alsaConfig(false));
    const mic = new AlsaIn();
    expect((await firstError((onError) => mic.start(() => {}, onError))).code).toBe('AUDIO_DEVICE_MISSING');
    const out = new AlsaOut();
    expect((await firstError((onError) => out.start(onError))).code).toBe('AUDIO_DEVICE_MISSING');
  });
});
