// What the screens compute before they draw: the quality bars from MOS, the call duration, the
// idle clock, the end reason in words, the grouped pairing code.
import { describe, expect, it } from 'vitest';
import { endReasonWords } from '../../../src/device/screens/ended.js';
import { formatClock } from '../../../src/device/screens/idle.js';
import { barsForMos, formatDuration } from '../../../src/device/screens/in-call.js';
import { formatPairingCode } from '../../../src/device/screens/pairing.js';
import { END_REASONS } from '../../../src/store/call-record.js';

describe('screen figures', () => {
  it('maps MOS to bars at the G.109 satisfaction boundaries', () => {
    const cases: [number | null, number][] = [
      [null, 0],
      [1, 0],
      [2.59, 0],
      [2.6, 1],
      [3.09, 1],
      [3.1, 2],
      [3.59, 2],
      [3.6, 3],
      [3.8, 3],
      [3.99, 3],
      [4.0, 4],
      [4.5, 4],
    ];
    for (const [mos, bars] of cases) expect(barsForMos(mos), String(mos)).toBe(bars);
  });

  it('formats a duration as MM:SS, then H:MM:SS, never negative', () => {
    expect(formatDuration(0)).toBe('00:00');
    expect(formatDuration(83_999)).toBe('01:23');
    expect(formatDuration(3_599_000)).toBe('59:59');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(-5000)).toBe('00:00');
  });

  it('formats the clock as HH:MM at an offset from UTC, across midnight both ways', () => {
    const t = Date.UTC(2025, 0, 1, 23, 30, 59);
    expect(formatClock(t, 0)).toBe('23:30');
    expect(formatClock(t, 60)).toBe('00:30');
    expect(formatClock(Date.UTC(2025, 0, 1, 0, 15), -90)).toBe('22:45');
    expect(formatClock(Date.UTC(2025, 0, 1, 9, 5), 330)).toBe('14:35');
  });

  it('puts every end reason in words, from this side of the call', () => {
    const words = (reason: string | null, direction: 'outgoing' | 'incoming', answered = false) =>
      endReasonWords({ reason, direction, answered });
    for (const reason of END_REASONS) expect(words(reason, 'outgoing')).toMatch(/^[A-Z][a-z ]+$/);
    expect(words('hangup-local', 'outgoing', true)).toBe('Call ended');
    expect(words('hangup-remote', 'outgoing', true)).toBe('They hung up');
    expect(words('hangup-remote', 'incoming', false)).toBe('Missed call');
    expect(words('rejected', 'outgoing')).toBe('Declined');
    expect(words('rejected', 'incoming')).toBe('You declined');
    expect(words('no-answer', 'outgoing')).toBe('No answer');
    expect(words('no-answer', 'incoming')).toBe('Missed call');
    expect(words('busy', 'outgoing')).toBe('Busy');
    expect(words('unreachable', 'outgoing')).toBe('Not reachable');
    expect(words('connection-lost', 'incoming', true)).toBe('Connection lost');
    expect(words('error', 'incoming', true)).toBe('Call failed');
    expect(words(null, 'outgoing')).toBe('Call ended');
  });

  it('groups the pairing code in threes', () => {
    expect(formatPairingCode('123456')).toBe('123 456');
    expect(formatPairingCode('000042')).toBe('000 042');
  });
});
