import { beforeAll, describe, expect, it } from 'vitest';
import { callWorld, RATE } from '../helpers/call-world.js';
import { speech } from '../helpers/speech.js';
import { hasCommand, needs } from '../helpers/needs.js';
import { findDelay, similarity } from '../helpers/signal.js';

const SENTENCE =
  'Kith carries your voice from one pocket to another, encrypted all the way. ' +
  'Nobody in between can listen, record or block the call.';

/** One call A -> B over the virtual network: A speaks the sentence, B's speaker records it. */
function talk(mic: Int16Array, seed: string, loss: number) {
  const w = callWorld({ seed, mic, link: { delayMs: 20, jitterMs: 30, loss } });
  w.a.calls.call(w.b.node.name);
  w.clock.runUntil(() => w.b.calls.live().state === 'ringing', { maxMs: 20_000 });
  w.b.calls.answer();
  w.clock.runUntil(() => w.a.calls.live().state === 'active', { maxMs: 20_000 });
  w.clock.advance((mic.length / RATE) * 1000 + 2000);
  w.a.calls.hangup();
  w.clock.advance(15_000);
  const heard = w.b.speakers[0]?.samples();
  const micStart = w.a.micStarts[0];
  const speakerStart = w.b.speakerStarts[0];
  if (!heard || micStart === undefined || speakerStart === undefined) throw new Error('no media ran');
  const lag = findDelay(mic, heard, RATE, 1000);
  // Sample i was spoken at micStart + i/RATE and played at speakerStart + (i + lag)/RATE.
  const delayMs = speakerStart - micStart + (lag / RATE) * 1000;
  const [recordB] = w.b.records;
  const [recordA] = w.a.records;
  return { delayMs, similarity: similarity(mic, heard, lag, RATE), recordA, recordB, w };
}

describe.runIf(needs('espeak-ng (speech for the call tests)', hasCommand('espeak-ng', ['--version'])))(
  'a call over the virtual network (20 ms delay, 30 ms jitter)',
  () => {
    let mic: Int16Array;
    beforeAll(() => {
      mic = speech(SENTENCE);
    });

    // loss, most mouth-to-ear delay (ms), least envelope similarity
    it.each([
      [0, 120, 0.9],
      [0.05, 120, 0.85],
      [0.15, 160, 0.7],
    ])(
      'at %f random loss: delay and similarity within bounds, both sides idle and recorded',
      (loss, maxDelay, minSim) => {
        const r = talk(mic, `audio-${loss}`, loss);
        expect(r.delayMs).toBeGreaterThan(40);
        expect(r.delayMs).toBeLessThan(maxDelay);
        expect(r.similarity).toBeGreaterThan(minSim);
        expect(r.w.a.calls.live().state).toBe('idle');
        expect(r.w.b.calls.live().state).toBe('idle');
        expect(r.recordA).toMatchObject({ direction: 'outgoing', endReason: 'hangup-local' });
        expect(r.recordB).toMatchObject({ direction: 'incoming', endReason: 'hangup-remote' });
        const m = r.recordB?.metrics;
        if (!m) throw new Error('no metrics recorded');
        // The pipeline's own estimate agrees with what the signals show.
        expect(Math.abs((m.oneWayDelayMs ?? 0) - r.delayMs)).toBeLessThan(20);
        expect(m.lossBeforeRecovery ?? 0).toBeCloseTo(loss, 1);
        expect(m.mos).toBeGreaterThan(loss === 0 ? 4.2 : 3);
      },
    );

    it('recovers isolated losses with redundancy: concealed frames well below the loss rate', () => {
      const r = talk(mic, 'redundancy', 0.05);
      const m = r.recordB?.metrics;
      if (!m) throw new Error('no metrics recorded');
      expect(m.lossBeforeRecovery ?? 0).toBeGreaterThan(0.03);
      expect(m.lossAfterRecovery ?? 1).toBeLessThan((m.lossBeforeRecovery ?? 0) / 4);
    });
  },
);
