// The real drivers' plumbing without a sound card or alsa-utils: fake arecord/aplay scripts on PATH
// stand in for the tools, so the arguments, the byte stream, each failure and the SIGKILL fallback
// are checked exactly; the messages classified are the ones the real tools print (measured).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KithError } from '../../../src/errors.js';
import { AlsaChild, alsaArgs, classifyExit } from '../../../src/hal/alsa-child.js';
import { AlsaIn } from '../../../src/hal/alsa-in.js';
import { AlsaOut } from '../../../src/hal/alsa-out.js';
import { bytesFromSamples } from '../../../src/hal/frame.js';
import { fakeTool } from '../../helpers/alsa.js';
import { withTimeout } from '../../helpers/kith.js';
import { tmpDir } from '../../helpers/tmp.js';

const MONO16K = { sampleRate: 16000, channels: 1 } as const;

/** Puts fake tools first on PATH for this test only. */
function usePath(dir: string): void {
  vi.stubEnv('PATH', `${dir}:${process.env.PATH ?? ''}`);
}

/** Resolves when `check` holds, polling; rejects after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('classifyExit (messages as arecord/aplay 1.2.8 print them)', () => {
  const open = (errno: string, alsa = '') => `${alsa}arecord: main:831: audio open error: ${errno}\n`;

  it.each([
    [
      open('No such file or directory', 'ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM nosuch\n'),
      'AUDIO_DEVICE_MISSING',
      'ALSA device "dev" does not exist or is not connected (arecord: audio open error: No such file or directory; ALSA: Unknown PCM nosuch); list devices with "arecord -L"',
    ],
    [
      open('No such device'),
      'AUDIO_DEVICE_MISSING',
      'ALSA device "dev" does not exist or is not connected (arecord: audio open error: No such device); list devices with "arecord -L"',
    ],
    [
      open('Device or resource busy'),
      'AUDIO_DEVICE_BUSY',
      'ALSA device "dev" is in use by another program (arecord: audio open error: Device or resource busy): stop that program, or use a device that shares the card (dmix/dsnoop, PipeWire)',
    ],
    [
      open('Permission denied'),
      'AUDIO_DEVICE_FAILED',
      'arecord cannot open ALSA device "dev" (arecord: audio open error: Permission denied)',
    ],
    [
      'arecord: set_params:1352: Channels count non available\n',
      'AUDIO_FORMAT_UNSUPPORTED',
      'ALSA device "dev" cannot capture 16000 Hz mono S16_LE (arecord: Channels count non available); use a converting device such as "plughw:..." or "default"',
    ],
    [
      'arecord: pcm_read:2221: read error: Input/output error\n',
      'AUDIO_DEVICE_FAILED',
      'arecord on ALSA device "dev" failed (arecord: read error: Input/output error)',
    ],
    ['', 'AUDIO_DEVICE_FAILED', 'arecord on ALSA device "dev" failed (exit code 1)'],
  ])('%j', (stderr, code, message) => {
    const err = classifyExit('arecord', 'dev', MONO16K, stderr, 1, null);
    expect({ code: err.code, message: err.message }).toEqual({ code, message });
  });

  it('calls a stream that ends by itself unexpected, with what it said', () => {
    expect(classifyExit('aplay', 'dev', MONO16K, '', 0, null).message).toBe(
      'aplay on ALSA device "dev" ended unexpectedly (exit code 0)',
    );
    expect(
      classifyExit('aplay', 'dev', MONO16K, 'Aborted by signal Terminated...\n', null, 'SIGTERM').message,
    ).toBe('aplay on ALSA device "dev" ended unexpectedly (signal SIGTERM)');
  });
});

describe('AlsaIn against a fake arecord', () => {
  let dir: string;
  beforeEach(() => {
    dir = tmpDir();
  });

  it('passes the raw format explicitly and delivers the stream as exact frames', async () => {
    const samples = Int16Array.from({ length: 320 * 7 }, (_, i) => (i * 101) % 30000);
    writeFileSync(join(dir, 'stream.raw'), bytesFromSamples(samples));
    usePath(fakeTool('arecord', `echo "$@" > '${dir}/args'\ncat '${dir}/stream.raw'\nexec sleep 30`));
    const mic = new AlsaIn({ device: 'plughw:1,0' });
    const frames: Int16Array[] = [];
    const errors: KithError[] = [];
    mic.start(
      (f) => frames.push(f),
      (e) => errors.push(e),
    );
    await until(() => frames.length === 7 || errors.length > 0, 10_000, '7 frames');
    mic.stop();
    expect(errors).toEqual([]);
    expect(frames.every((f) => f.length === 320)).toBe(true);
    expect(Int16Array.from(frames.flatMap((f) => [...f]))).toEqual(samples);
    expect(readFileSync(join(dir, 'args'), 'utf8').trim()).toBe(
      '-q -N -t raw -f S16_LE -c 1 -r 16000 -D plughw:1,0 --period-time=20000 --buffer-time=200000 -',
    );
  });

  it('reports a busy device once, with the tool’s own line', async () => {
    usePath(
      fakeTool('arecord', 'echo "arecord: main:831: audio open error: Device or resource busy" >&2\nexit 1'),
    );
    const mic = new AlsaIn();
    const errors: KithError[] = [];
    mic.start(
      () => {},
      (e) => errors.push(e),
    );
    await until(() => errors.length > 0, 10_000, 'the error');
    await new Promise((r) => setTimeout(r, 50));
    expect(errors.map((e) => e.code)).toEqual(['AUDIO_DEVICE_BUSY']);
    expect(errors[0]?.message).toContain('ALSA device "default" is in use by another program');
    mic.stop();
  });

  it('reports arecord ending by itself as a failure', async () => {
    usePath(fakeTool('arecord', 'exit 0'));
    const mic = new AlsaIn();
    const err = await withTimeout(
      new Promise<KithError>((resolve) => mic.start(() => {}, resolve)),
      10_000,
      'no error reported',
    );
    expect(err.code).toBe('AUDIO_DEVICE_FAILED');
    expect(err.message).toBe('arecord on ALSA device "default" ended unexpectedly (exit code 0)');
  });

  it('reports nothing after stop()', async () => {
    usePath(fakeTool('arecord', 'exec sleep 30'));
    const mic = new AlsaIn();
    const errors: KithError[] = [];
    mic.start(
      () => {},
      (e) => errors.push(e),
    );
    mic.stop();
    mic.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).toEqual([]);
  });

  it('reports AUDIO_TOOL_MISSING when arecord is not on PATH', async () => {
    vi.stubEnv('PATH', tmpDir());
    const mic = new AlsaIn();
    const err = await withTimeout(
      new Promise<KithError>((resolve) => mic.start(() => {}, resolve)),
      10_000,
      'no error reported',
    );
    expect(err.code).toBe('AUDIO_TOOL_MISSING');
    expect(err.message).toBe('arecord is not installed (not found on PATH): install alsa-utils');
    mic.stop();
  });

  it('refuses option values that cannot work', () => {
    expect(() => new AlsaIn({ bufferMs: 10 })).toThrow(expect.objectContaining({ code: 'AUDIO_BAD_OPTION' }));
    expect(() => new AlsaIn({ stopTimeoutMs: NaN })).toThrow(
      expect.objectContaining({ code: 'AUDIO_BAD_OPTION' }),
    );
  });
});

describe('AlsaChild.stop', () => {
  it('sends SIGKILL when the tool ignores SIGTERM', async () => {
    usePath(fakeTool('arecord', "trap '' TERM\necho ready\nexec sleep 30"));
    const failures: KithError[] = [];
    const child = new AlsaChild(
      {
        tool: 'arecord',
        device: 'x',
        format: MONO16K,
        bufferMs: 100,
        stopTimeoutMs: 200,
        onFailure: (e) => failures.push(e),
      },
      ['ignore', 'pipe', 'pipe'],
    );
    const ready = new Promise((r) => child.process.stdout?.once('data', r));
    await withTimeout(ready, 10_000, 'the fake never installed its trap');
    const closed = new Promise<NodeJS.Signals | null>((resolve) =>
      child.process.on('close', (_code, signal) => resolve(signal)),
    );
    child.stop();
    expect(await withTimeout(closed, 10_000, 'the tool was never killed')).toBe('SIGKILL');
    expect(failures).toEqual([]);
  });

  it('uses the arguments the drivers are measured with', () => {
    expect(alsaArgs('bluealsa', { sampleRate: 48000, channels: 1 }, 80)).toEqual([
      '-q',
      '-N',
      '-t',
      'raw',
      '-f',
      'S16_LE',
      '-c',
      '1',
      '-r',
      '48000',
      '-D',
      'bluealsa',
      '--period-time=20000',
      '--buffer-time=80000',
      '-',
    ]);
  });
});

describe('AlsaOut against a fake aplay', () => {
  it('writes each frame to aplay as raw little-endian bytes', async () => {
    const dir = tmpDir();
    const sink = join(dir, 'played.raw');
    usePath(fakeTool('aplay', `echo "$@" > '${dir}/args'\nexec cat > '${sink}'`));
    const out = new AlsaOut({ device: 'bluealsa' });
    const errors: KithError[] = [];
    out.start((e) => errors.push(e));
    const frames = Array.from({ length: 5 }, (_, k) =>
      Int16Array.from({ length: 320 }, (_, i) => k * 1000 - i),
    );
    for (const f of frames) out.write(f);
    const size = () => {
      try {
        return statSync(sink).size;
      } catch {
        return 0;
      }
    };
    await until(() => size() === 5 * 640, 10_000, 'aplay to receive 5 frames');
    out.stop();
    expect(errors).toEqual([]);
    expect(new Uint8Array(readFileSync(sink))).toEqual(
      bytesFromSamples(Int16Array.from(frames.flatMap((f) => [...f]))),
    );
    expect(readFileSync(join(dir, 'args'), 'utf8').trim()).toBe(
      '-q -N -t raw -f S16_LE -c 1 -r 16000 -D bluealsa --period-time=20000 --buffer-time=80000 -',
    );
  });

  it('drops frames beyond maxQueueMs while aplay does not read, and counts them', async () => {
    // The fake never reads stdin: the pipe fills, then Node's queue reaches the bound.
    usePath(fakeTool('aplay', 'exec sleep 30'));
    const out = new AlsaOut({ maxQueueMs: 100 });
    const errors: KithError[] = [];
    out.start((e) => errors.push(e));
    // 2000 frames = 1.28 MB, far more than a pipe holds.
    for (let i = 0; i < 2000; i++) out.write(new Int16Array(320));
    expect(out.droppedFrames).toBeGreaterThan(1000);
    out.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toEqual([]);
  });

  it('reports aplay dying mid-call once, and ignores writes after that', async () => {
    usePath(
      fakeTool(
        'aplay',
        'head -c 640 > /dev/null\necho "aplay: pcm_write:2127: write error: Input/output error" >&2\nexit 1',
      ),
    );
    const out = new AlsaOut();
    const errors: KithError[] = [];
    out.start((e) => errors.push(e));
    out.write(new Int16Array(320));
    await until(() => errors.length > 0, 10_000, 'the error');
    for (let i = 0; i < 10; i++) out.write(new Int16Array(320));
    await new Promise((r) => setTimeout(r, 50));
    expect(errors.map((e) => e.message)).toEqual([
      'aplay on ALSA device "default" failed (aplay: write error: Input/output error)',
    ]);
    out.stop();
  });

  it('refuses a wrong-sized frame and a write before start', () => {
    const out = new AlsaOut();
    expect(() => out.write(new Int16Array(320))).toThrow(expect.objectContaining({ code: 'AUDIO_MISUSE' }));
    expect(() => out.write(new Int16Array(3))).toThrow(expect.objectContaining({ code: 'AUDIO_BAD_FRAME' }));
  });
});
