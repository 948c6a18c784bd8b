import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/hal/wav.js';
import { alsaConfig } from '../helpers/alsa.js';
import { RATE } from '../helpers/call-world.js';
import { speech } from '../helpers/speech.js';
import { kith, type RunningKith, startKith } from '../helpers/kith.js';
import { hasCommand, needs } from '../helpers/needs.js';
import { findDelay, piecewiseSimilarity } from '../helpers/signal.js';
import { tmpDir } from '../helpers/tmp.js';

const on = (device: RunningKith, args: string[]) => kith(['--socket', device.socket, ...args]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Two services that hold each other as contacts, A knowing B's address. */
async function pairOfServices(
  dir: string,
  extra: { args?: string[]; config?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const start = (name: string) =>
    startKith(join(dir, name), {
      config: `[device]\nname = "${name}"\n${extra.config ?? ''}`,
      ...(extra.args ? { args: extra.args.map((a) => a.replace('NAME', name)) } : {}),
      ...(extra.env ? { env: extra.env } : {}),
    });
  const [a, b] = await Promise.all([start('Ada'), start('Bo')]);
  for (const [from, to, file] of [
    [a, b, 'ada.card'],
    [b, a, 'bo.card'],
  ] as const) {
    writeFileSync(join(dir, file), (await on(from, ['card', 'export'])).stdout);
    expect((await on(to, ['card', 'import', join(dir, file), '--yes'])).code).toBe(0);
  }
  expect((await on(a, ['contacts', 'set-endpoint', 'Bo', b.udp])).code).toBe(0);
  return { a, b };
}

/** Polls `kith status --json` until the call is in `state` (bounded). */
async function waitForCall(device: RunningKith, state: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = JSON.parse((await on(device, ['status', '--json'])).stdout);
    if (status.call.state === state) return status.call;
    if (Date.now() > deadline) throw new Error(`call never reached ${state}: ${JSON.stringify(status.call)}`);
    await sleep(200);
  }
}

const running: RunningKith[] = [];
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
});

describe.runIf(needs('espeak-ng (speech for the call tests)', hasCommand('espeak-ng', ['--version'])))(
  'a call between two kith run processes on 127.0.0.1, from the CLI',
  () => {
    it('carries speech from A to B with the sim audio driver, and both keep the call', async () => {
      const dir = tmpDir();
      const voice = speech('The quick brown fox jumps over the lazy dog, while the call stays encrypted.');
      const wav = join(dir, 'speech.wav');
      const { encodeWav } = await import('../../src/hal/wav.js');
      writeFileSync(wav, encodeWav(voice, RATE));
      const { a, b } = await pairOfServices(dir, {
        args: ['--audio-in', wav, '--audio-out', join(dir, 'NAME-heard.wav')],
      });
      running.push(a, b);

      const calling = await on(a, ['call', 'Bo']);
      expect(calling.code, calling.stderr).toBe(0);
      expect(calling.stdout).toMatch(/^calling Bo/);
      const ringing = await waitForCall(b, 'ringing');
      expect(ringing).toMatchObject({ contact: 'Ada', direction: 'incoming' });
      expect((await on(b, ['status'])).stdout).toContain('Ada is calling: `kith answer` or `kith reject`');
      const answered = await on(b, ['answer']);
      expect(answered.code, answered.stderr).toBe(0);
      await waitForCall(a, 'active');
      // Let the whole sentence play once, and a little more.
      await sleep((voice.length / RATE) * 1000 + 1500);
      const live = JSON.parse((await on(b, ['status', '--json'])).stdout).call;
      expect(live.state).toBe('active');
      expect(live.metrics.packetsReceived).toBeGreaterThan(100);
      expect((await on(a, ['status'])).stdout).toMatch(/Call:\s+in a call to Bo, \d+s, MOS \d\.\d/);
      const hung = await on(a, ['hangup']);
      expect(hung.code, hung.stderr).toBe(0);
      await waitForCall(a, 'idle');
      await waitForCall(b, 'idle');

      const historyA = JSON.parse((await on(a, ['calls', '--json'])).stdout).calls;
      const historyB = JSON.parse((await on(b, ['calls', '--json'])).stdout).calls;
      expect(historyA).toEqual([
        expect.objectContaining({ contact: 'Bo', direction: 'outgoing', endReason: 'hangup-local' }),
      ]);
      expect(historyB).toEqual([
        expect.objectContaining({ contact: 'Ada', direction: 'incoming', endReason: 'hangup-remote' }),
      ]);
      expect(historyB[0].metrics.lossBeforeRecovery).toBe(0);
      expect(historyB[0].metrics.oneWayDelayMs).toBeLessThan(150);
      expect(historyB[0].metrics.mos).toBeGreaterThan(4);
      expect((await on(a, ['calls'])).stdout).toMatch(
        /WHEN\s+WHO\s+LENGTH\s+ENDED\s+MOS\n.*to Bo\s+\d+s\s+hangup-local\s+\d\.\d/,
      );

      // What B heard is A's speech: aligned, its envelope follows the original's.
      const heard = decodeWav(new Uint8Array(readFileSync(join(dir, 'Bo-heard.wav'))));
      expect(heard.sampleRate).toBe(RATE);
      // Piece by piece: under load the receiver's playout moves by a frame or two during the call,
      // which lowers a whole-call correlation for no fault of the path (signal.ts).
      const lag = findDelay(voice, heard.samples, RATE, 3000);
      const alike = piecewiseSimilarity(voice, heard.samples, lag, RATE);
      expect(alike.pieces).toBeGreaterThan(2);
      expect(alike.mean).toBeGreaterThan(0.9);
    });
  },
);

describe.runIf(needs('alsa-utils (arecord, aplay)', hasCommand('arecord', ['--version'])))(
  'a call whose audio device is missing',
  () => {
    it('reports the error and ends cleanly on both sides', async () => {
      const dir = tmpDir();
      const { a, b } = await pairOfServices(dir, {
        config:
          '[audio]\ndriver = "alsa"\ncapture_device = "kith_no_such_device"\nplayback_device = "kith_no_such_device"',
        env: { ALSA_CONFIG_PATH: alsaConfig(true) },
      });
      running.push(a, b);
      expect((await on(a, ['call', 'Bo'])).code).toBe(0);
      await waitForCall(b, 'ringing');
      expect((await on(b, ['answer'])).code).toBe(0);
      await waitForCall(a, 'idle');
      await waitForCall(b, 'idle');
      const [callA] = JSON.parse((await on(a, ['calls', '--json'])).stdout).calls;
      const [callB] = JSON.parse((await on(b, ['calls', '--json'])).stdout).calls;
      // Each side's own device failed: 'error' where it failed, or the peer's hangup if that came first.
      expect(['error', 'hangup-remote']).toContain(callA.endReason);
      expect(['error', 'hangup-remote']).toContain(callB.endReason);
      expect([callA.endReason, callB.endReason]).toContain('error');
      const failed = (r: RunningKith) => r.logs.some((l) => l.msg === 'audio failed; ending the call');
      expect(failed(a) || failed(b)).toBe(true);
      // Both services carry on.
      expect((await on(a, ['status', '--json'])).code).toBe(0);
      expect((await on(b, ['status', '--json'])).code).toBe(0);
    });
  },
);
