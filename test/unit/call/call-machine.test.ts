// The call machine's flows, two (or three) machines wired through the test pipe on virtual time:
// the normal calls, every way a call ends, busy, glare, loss and restarts, and what a machine does
// with messages that are not about its call.
import { describe, expect, it } from 'vitest';
import { CALL_TIMEOUTS, type CallState } from '../../../src/call/call-machine.js';
import { encodeCallMessage } from '../../../src/call/messages.js';
import type { OfferParams } from '../../../src/call/params.js';
import { type Device, METRICS, peerIdOf, seededFate, World } from './world.js';

const T = CALL_TIMEOUTS;

function twoDevices(options: { seedA?: string; seedB?: string } = {}) {
  const world = new World();
  const a = world.add('A', { seed: options.seedA });
  const b = world.add('B', { seed: options.seedB });
  return { world, a, b, clock: world.clock };
}

const states = (...devices: Device[]) => devices.map((d) => d.machine.state);
const reasons = (d: Device) => d.records.map((r) => r.endReason);
const snapshotStates = (d: Device) =>
  d.live.snapshots.map((s) => (s.call?.peerRinging ? `${s.state}+ringing` : s.state));

/** A call from A to B, answered; returns when both are active. */
function connect(world: World, a: Device, b: Device): Uint8Array {
  const id = a.machine.call(b.id);
  world.clock.advance(100);
  b.machine.answer();
  world.clock.advance(100);
  expect(states(a, b)).toEqual(['active', 'active']);
  return id;
}

/** Runs until nothing is scheduled: every machine idle, every timer gone. */
function settle(world: World): void {
  world.clock.runUntilIdle({ maxMs: 200_000 });
  for (const d of world.devices.values()) expect(d.machine.state, d.name).toBe('idle');
}

describe('call machine: flows', () => {
  it('call, ring, answer, and the caller hangs up', () => {
    const { world, a, b, clock } = twoDevices();
    const id = a.machine.call(b.id);
    expect(a.machine.snapshot()).toMatchObject({
      state: 'calling',
      call: { id, peerId: b.id, direction: 'outgoing', peerRinging: false, params: null },
    });
    clock.advance(40);
    expect(states(a, b)).toEqual(['calling', 'ringing']);
    expect(a.machine.snapshot().call?.peerRinging).toBe(true);
    expect(b.machine.snapshot().call).toMatchObject({
      id,
      peerId: a.id,
      direction: 'incoming',
      params: { sampleRate: 48_000, frameMs: 20, maxBitrate: 32_000, redundancy: 2 },
    });
    clock.advance(3_000);
    b.machine.answer();
    expect(b.machine.state).toBe('active');
    clock.advance(20);
    expect(a.machine.state).toBe('active');
    // Both pipelines run the same call with the same parameters.
    expect(a.live.media?.params).toEqual(b.live.media?.params);
    expect(a.live.media?.id).toEqual(id);
    clock.advance(60_000);
    expect(states(a, b)).toEqual(['active', 'active']);
    a.machine.hangup();
    expect(a.machine.snapshot()).toMatchObject({ state: 'ending', call: { endReason: 'hangup-local' } });
    clock.advance(20);
    expect(b.machine.state).toBe('idle');
    clock.advance(20);
    expect(a.machine.state).toBe('idle');
    expect(world.trace().filter((l) => !l.endsWith('keepalive'))).toEqual([
      'A>B offer',
      'B>A ring',
      'B>A accept',
      'A>B hangup',
      'B>A end-ack',
    ]);
    const start = Date.UTC(2025, 0, 1);
    expect(a.records).toEqual([
      {
        id,
        direction: 'outgoing',
        peerId: b.id,
        startedAt: start,
        answeredAt: start + 3_060,
        endedAt: start + 63_060,
        endReason: 'hangup-local',
        metrics: METRICS,
      },
    ]);
    expect(b.records).toEqual([
      {
        id,
        direction: 'incoming',
        peerId: a.id,
        startedAt: start + 20,
        answeredAt: start + 3_040,
        endedAt: start + 63_080,
        endReason: 'hangup-remote',
        metrics: METRICS,
      },
    ]);
    expect(snapshotStates(a)).toEqual(['calling', 'calling+ringing', 'active', 'ending', 'idle']);
    expect(snapshotStates(b)).toEqual(['ringing', 'active', 'idle']);
    // Idle machines hold no timers (the test's voice ticks stop within a second).
    clock.advance(1_000);
    expect(clock.pending).toBe(0);
  });

  it('the callee hangs up', () => {
    const { world, a, b } = twoDevices();
    connect(world, a, b);
    b.machine.hangup();
    settle(world);
    expect([reasons(a), reasons(b)]).toEqual([['hangup-remote'], ['hangup-local']]);
  });

  it('reject', () => {
    const { world, a, b } = twoDevices();
    a.machine.call(b.id);
    world.clock.advance(100);
    b.machine.reject();
    settle(world);
    expect([reasons(a), reasons(b)]).toEqual([['rejected'], ['rejected']]);
    expect(a.records[0]?.answeredAt).toBeNull();
    expect(a.live.mediaStarts).toEqual([]);
  });

  it('no answer: the callee rings out after RING, both record no-answer', () => {
    const { world, a, b, clock } = twoDevices();
    a.machine.call(b.id);
    clock.advance(T.ringMs + 19);
    expect(states(a, b)).toEqual(['calling', 'ringing']);
    clock.advance(1);
    expect(b.machine.state).toBe('ending');
    settle(world);
    expect([reasons(a), reasons(b)]).toEqual([['no-answer'], ['no-answer']]);
    expect(b.records[0]?.endedAt).toBe(Date.UTC(2025, 0, 1) + 20 + T.ringMs);
  });

  it('unreachable: no answer at all to the OFFER', () => {
    const world = new World();
    const a = world.add('A');
    a.machine.call(peerIdOf('B')); // B does not exist: everything to it is lost
    world.clock.advance(T.unreachableMs - 1);
    expect(a.machine.state).toBe('calling');
    world.clock.advance(1);
    expect(a.machine.snapshot()).toMatchObject({ state: 'ending', call: { endReason: 'unreachable' } });
    world.clock.advance(T.endingMs);
    expect(a.machine.state).toBe('idle');
    expect(reasons(a)).toEqual(['unreachable']);
    // OFFER every RETRY until UNREACHABLE, then HANGUP every RETRY until ENDING.
    expect(world.sent.map((s) => `${s.at} ${s.message.type}`)).toEqual([
      '0 offer',
      '2000 offer',
      '4000 offer',
      '6000 offer',
      '8000 offer',
      '10000 hangup',
      '12000 hangup',
      '14000 hangup',
    ]);
    expect(world.clock.pending).toBe(0);
  });

  it('busy: a second caller gets BUSY and the current call goes on', () => {
    const world = new World();
    const [a, b, c] = ['A', 'B', 'C'].map((n) => world.add(n)) as [Device, Device, Device];
    connect(world, a, b);
    const snapshots = a.live.snapshots.length;
    // C's OFFER arrives twice: still one BUSY record on each side.
    world.fate = (s) => (s.from === c.id && s.message.type === 'offer' ? 'dup' : 'deliver');
    c.machine.call(a.id);
    world.clock.advance(100);
    expect(states(a, b, c)).toEqual(['active', 'active', 'idle']);
    expect(reasons(c)).toEqual(['busy']);
    expect(world.trace((s) => s.to === c.id)).toEqual(['A>C busy', 'A>C busy']);
    // A keeps a missed call, once, and its own call never changed.
    expect(a.records).toMatchObject([
      { direction: 'incoming', peerId: c.id, endReason: 'busy', answeredAt: null },
    ]);
    expect(a.live.snapshots.length).toBe(snapshots);
    a.machine.hangup();
    settle(world);
    expect(reasons(a)).toEqual(['busy', 'hangup-local']);
  });

  it('the caller hangs up while the callee rings: a missed call', () => {
    const { world, a, b } = twoDevices();
    a.machine.call(b.id);
    world.clock.advance(5_000);
    a.machine.hangup();
    settle(world);
    expect([reasons(a), reasons(b)]).toEqual([['hangup-local'], ['hangup-remote']]);
    expect(b.records[0]?.answeredAt).toBeNull();
  });

  it('the caller hangs up before the OFFER arrives', () => {
    const { world, a, b } = twoDevices();
    world.latencyMs = 200;
    a.machine.call(b.id);
    world.clock.advance(50);
    a.machine.hangup();
    settle(world);
    // B rang for a moment, between the OFFER and the HANGUP behind it.
    expect([reasons(a), reasons(b)]).toEqual([['hangup-local'], ['hangup-remote']]);
    expect(snapshotStates(b)).toEqual(['ringing', 'idle']);
  });

  it('hangup on the ringing side declines the call', () => {
    const { world, a, b } = twoDevices();
    a.machine.call(b.id);
    world.clock.advance(100);
    b.machine.hangup();
    settle(world);
    expect([reasons(a), reasons(b)]).toEqual([['rejected'], ['rejected']]);
  });

  it('both hang up at once: each records its own hangup', () => {
    const { world, a, b } = twoDevices();
    connect(world, a, b);
    a.machine.hangup();
    b.machine.hangup();
    world.clock.advance(30);
    expect(states(a, b)).toEqual(['idle', 'idle']);
    expect([reasons(a), reasons(b)]).toEqual([['hangup-local'], ['hangup-local']]);
  });

  it.each([
    ['A', 'B'],
    ['B', 'A'],
  ])('glare: both call at once, and %s calling %s with the larger id wins on both sides', (first) => {
    // Different seeds give different call ids; find a pair where `first`'s id is the larger.
    for (let n = 0; ; n++) {
      const { world, a, b } = twoDevices({ seedA: `a${n}`, seedB: `b${n}` });
      const idA = a.machine.call(b.id);
      const idB = b.machine.call(a.id);
      const aWins = Buffer.compare(Buffer.from(idA), Buffer.from(idB)) > 0;
      if (aWins !== (first === 'A')) continue;
      world.clock.advance(100);
      expect(states(a, b)).toEqual(['active', 'active']);
      const winner = aWins ? idA : idB;
      expect(a.live.media?.id).toEqual(winner);
      expect(b.live.media?.id).toEqual(winner);
      // The side whose call won saw the other's OFFER lose; the other answered the winner at once.
      const [won, gaveWay] = aWins ? [a, b] : [b, a];
      expect(won.machine.counters()['glare-lost']).toBe(1);
      expect(snapshotStates(gaveWay)).toEqual(['calling', 'active']);
      won.machine.hangup();
      settle(world);
      expect(won.records).toMatchObject([{ id: winner, direction: 'outgoing', endReason: 'hangup-local' }]);
      expect(gaveWay.records).toMatchObject([
        { id: winner, direction: 'incoming', endReason: 'hangup-remote' },
      ]);
      return;
    }
  });

  it('glare after the first OFFERs are lost still ends in one call', () => {
    const { world, a, b } = twoDevices();
    let dropped = 0;
    world.fate = (s) => (s.message.type === 'offer' && dropped++ < 2 ? 'drop' : 'deliver');
    a.machine.call(b.id);
    b.machine.call(a.id);
    world.clock.advance(T.retryMs + 100);
    expect(states(a, b)).toEqual(['active', 'active']);
    expect(a.live.media?.id).toEqual(b.live.media?.id);
  });

  it('a call whose voice and signalling stop ends as connection-lost on both sides', () => {
    const { world, a, b, clock } = twoDevices();
    connect(world, a, b);
    clock.advance(10_000);
    world.blackoutAt = clock.now();
    // Each side last heard the other (voice once a second, KEEPALIVE every 5 s) within 1 s before.
    clock.advance(T.lostMs - 2_000);
    expect(states(a, b)).toEqual(['active', 'active']);
    clock.advance(2_000);
    expect(states(a, b)).toEqual(['ending', 'ending']);
    settle(world);
    expect([reasons(a), reasons(b)]).toEqual([['connection-lost'], ['connection-lost']]);
  });

  it('KEEPALIVE alone holds a call in which no voice flows', () => {
    const world = new World();
    const a = world.add('A');
    const b = world.add('B');
    connect(world, a, b);
    // No voice: both pipelines stop reporting (as with silence suppression on both sides).
    a.live.media = null;
    b.live.media = null;
    world.clock.advance(5 * T.lostMs);
    expect(states(a, b)).toEqual(['active', 'active']);
  });

  it('voice alone holds a call whose signalling is lost', () => {
    const { world, a, b } = twoDevices();
    connect(world, a, b);
    world.fate = () => 'drop';
    world.clock.advance(5 * T.lostMs);
    expect(states(a, b)).toEqual(['active', 'active']);
  });

  it('a peer that restarts mid-call is noticed at its next KEEPALIVE, not after LOST', () => {
    const { world, a, b, clock } = twoDevices();
    connect(world, a, b);
    b.restart();
    clock.advance(T.refreshMs + 100);
    expect(a.machine.state).not.toBe('active');
    settle(world);
    expect(reasons(a)).toEqual(['connection-lost']);
    expect(b.live.records).toEqual([]);
    expect(b.live.machine.counters().stale).toBeGreaterThan(0);
  });

  it('a callee that restarts while ringing rings again for the same call', () => {
    const { world, a, b, clock } = twoDevices();
    const id = a.machine.call(b.id);
    clock.advance(1_000);
    b.restart();
    clock.advance(T.refreshMs);
    expect(b.machine.snapshot().call?.id).toEqual(id);
    b.machine.answer();
    clock.advance(100);
    expect(states(a, b)).toEqual(['active', 'active']);
    a.machine.hangup();
    settle(world);
    // The crashed incarnation recorded nothing; the fresh one recorded the call it answered.
    expect(b.incarnations.map((inc) => inc.records.map((r) => r.endReason))).toEqual([[], ['hangup-remote']]);
  });

  it('a lost OFFER is sent again, and a lost ACCEPT too', () => {
    const { world, a, b, clock } = twoDevices();
    const drop = new Set(['offer', 'accept']);
    world.fate = (s) => (drop.delete(s.message.type) ? 'drop' : 'deliver');
    a.machine.call(b.id);
    clock.advance(T.retryMs - 1);
    expect(b.machine.state).toBe('idle');
    clock.advance(100);
    expect(b.machine.state).toBe('ringing');
    b.machine.answer();
    clock.advance(T.retryMs - 1);
    expect(a.machine.state).toBe('calling');
    clock.advance(100);
    expect(states(a, b)).toEqual(['active', 'active']);
    // Heard from the caller in the call, the callee stops repeating ACCEPT.
    clock.advance(30_000);
    expect(world.trace((s) => s.message.type === 'accept')).toEqual(['B>A accept', 'B>A accept']);
  });

  it('a lost HANGUP is sent again until END_ACK', () => {
    const { world, a, b, clock } = twoDevices();
    connect(world, a, b);
    let drops = 2;
    world.fate = (s) => (s.message.type === 'hangup' && drops-- > 0 ? 'drop' : 'deliver');
    a.machine.hangup();
    clock.advance(2 * T.retryMs + 100);
    expect(states(a, b)).toEqual(['idle', 'idle']);
    expect([reasons(a), reasons(b)]).toEqual([['hangup-local'], ['hangup-remote']]);
  });

  it('with every message duplicated, the outcome is the same', () => {
    const { world, a, b } = twoDevices();
    world.fate = () => 'dup';
    connect(world, a, b);
    world.clock.advance(20_000);
    a.machine.hangup();
    settle(world);
    expect([reasons(a), reasons(b)]).toEqual([['hangup-local'], ['hangup-remote']]);
  });

  it('a late duplicate OFFER of an ended call does not ring again, and hears how it ended', () => {
    const { world, a, b, clock } = twoDevices();
    a.machine.call(b.id);
    clock.advance(100);
    b.machine.reject();
    settle(world);
    const offer = world.sent.find((s) => s.message.type === 'offer')?.message;
    b.machine.receive(a.id, encodeCallMessage(offer as NonNullable<typeof offer>));
    clock.advance(100);
    expect(b.machine.state).toBe('idle');
    expect(b.records.length).toBe(1);
    // B repeats how the call ended; A, for which the call is over too, acknowledges.
    expect(world.trace().slice(-2)).toEqual(['B>A reject', 'A>B end-ack']);
    expect(b.machine.counters().stale).toBe(2);
  });

  it('messages about other calls are counted and never change the call', () => {
    const world = new World();
    const [a, b, c] = ['A', 'B', 'C'].map((n) => world.add(n)) as [Device, Device, Device];
    const id = connect(world, a, b);
    const other = new Uint8Array(16).fill(7);
    a.machine.receive(b.id, encodeCallMessage({ type: 'keepalive', callId: other }));
    a.machine.receive(b.id, encodeCallMessage({ type: 'hangup', callId: other, reason: 'user' }));
    a.machine.receive(b.id, encodeCallMessage({ type: 'end-ack', callId: other }));
    // Another peer naming our call cannot end it.
    a.machine.receive(c.id, encodeCallMessage({ type: 'hangup', callId: id, reason: 'user' }));
    a.machine.receive(b.id, Uint8Array.of(1, 0x7f));
    a.machine.receive(b.id, Uint8Array.of());
    world.clock.advance(100);
    expect(states(a, b)).toEqual(['active', 'active']);
    // An unknown call's KEEPALIVE is told the call is gone, its HANGUP gets END_ACK; B, which does
    // not know the call either, acknowledges that HANGUP in turn, and nothing answers an END_ACK.
    expect(world.trace((s) => s.at >= 200)).toEqual(['A>B hangup', 'A>B end-ack', 'B>A end-ack']);
    expect(a.machine.counters()).toEqual({ stale: 4, 'wrong-peer': 1, 'unknown-type': 1, truncated: 1 });
    expect(b.machine.counters()).toEqual({ stale: 2 });
  });

  it('parameters no pipeline pair can run: refused without ringing, an error on both sides', () => {
    const world = new World();
    const only = (rate: 16_000 | 48_000): OfferParams => ({
      sampleRates: [rate],
      frameMs: 20,
      maxBitrate: 24_000,
      redundancy: 1,
    });
    const a = world.add('A', { capabilities: only(48_000) });
    const b = world.add('B', { capabilities: only(16_000) });
    a.machine.call(b.id);
    settle(world);
    expect([reasons(a), reasons(b)]).toEqual([['error'], ['error']]);
    expect(b.live.snapshots).toEqual([]);
  });

  it('an ACCEPT outside the offer ends the call as an error', () => {
    const world = new World();
    const a = world.add('A');
    const id = a.machine.call(peerIdOf('B'));
    a.machine.receive(peerIdOf('B'), encodeCallMessage({ type: 'ring', callId: id }));
    a.machine.receive(
      peerIdOf('B'),
      encodeCallMessage({
        type: 'accept',
        callId: id,
        params: { sampleRate: 16_000, frameMs: 20, maxBitrate: 64_000, redundancy: 0 },
      }),
    );
    expect(a.machine.snapshot()).toMatchObject({ state: 'ending', call: { endReason: 'error' } });
    expect(world.trace().at(-1)).toBe('A>B hangup');
  });

  it.each(['A', 'B'])(
    'a pipeline that cannot start on %s ends the call as an error on both sides',
    (side) => {
      const world = new World();
      const a = world.add('A', { mediaFails: side === 'A' });
      const b = world.add('B', { mediaFails: side === 'B' });
      a.machine.call(b.id);
      world.clock.advance(100);
      b.machine.answer();
      settle(world);
      expect([reasons(a), reasons(b)]).toEqual([['error'], ['error']]);
      expect((side === 'A' ? a : b).machine.counters()['media-failed']).toBe(1);
    },
  );

  it('a pipeline failure mid-call ends it as an error', () => {
    const { world, a, b } = twoDevices();
    connect(world, a, b);
    b.machine.fail();
    settle(world);
    expect([reasons(a), reasons(b)]).toEqual([['error'], ['error']]);
    // Without a call there is nothing to fail.
    b.machine.fail();
    expect(b.machine.state).toBe('idle');
  });

  it('metrics the schema refuses are left out of the record, which is kept', () => {
    const world = new World();
    const a = world.add('A', { metrics: () => ({ mos: 9 }) });
    const b = world.add('B', { metrics: () => null });
    connect(world, a, b);
    a.machine.hangup();
    settle(world);
    expect(a.records[0]).toMatchObject({ endReason: 'hangup-local', metrics: null });
    expect(b.records[0]).toMatchObject({ endReason: 'hangup-remote', metrics: null });
    expect(a.machine.counters()['media-failed']).toBe(1);
    expect(b.machine.counters()['media-failed']).toBeUndefined();
  });

  it('a new call may start while the last one is ending, either way', () => {
    const { world, a, b, clock } = twoDevices();
    // No END_ACK arrives, so every ender stays in ending for all of ENDING.
    world.fate = (s) => (s.message.type === 'end-ack' ? 'drop' : 'deliver');
    a.machine.call(b.id);
    clock.advance(100);
    a.machine.hangup();
    a.machine.hangup(); // a second press does nothing
    clock.advance(100);
    expect(states(a, b)).toEqual(['ending', 'idle']);
    // B calls back while A is still ending: A takes the call.
    b.machine.call(a.id);
    clock.advance(100);
    expect(states(a, b)).toEqual(['ringing', 'calling']);
    // A declines, and calls B itself while still ending.
    a.machine.hangup();
    expect(a.machine.state).toBe('ending');
    a.machine.call(b.id);
    expect(a.machine.state).toBe('calling');
    clock.advance(100);
    expect(states(a, b)).toEqual(['calling', 'ringing']);
    settle(world);
    expect([reasons(a), reasons(b)]).toEqual([
      ['hangup-local', 'rejected', 'no-answer'],
      ['hangup-remote', 'rejected', 'no-answer'],
    ]);
  });

  it('close ends the call as a hangup and stops every timer', () => {
    const { world, a, b, clock } = twoDevices();
    connect(world, a, b);
    a.machine.close();
    expect(a.machine.state).toBe('idle');
    expect(reasons(a)).toEqual(['hangup-local']);
    clock.advance(100);
    expect(reasons(b)).toEqual(['hangup-remote']);
    settle(world);
    expect(clock.pending).toBe(0);
    a.machine.receive(b.id, encodeCallMessage({ type: 'ring', callId: new Uint8Array(16) }));
    a.machine.mediaAlive();
    a.machine.fail();
    expect(world.trace().at(-1)).toBe('B>A end-ack');
  });

  it('every call ends in idle on a seeded lossy, duplicating pipe', () => {
    const outcomes = new Map<string, number>();
    for (let run = 0; run < 40; run++) {
      const { world, a, b, clock } = twoDevices({ seedA: `a${run}`, seedB: `b${run}` });
      world.fate = seededFate(`pipe ${run}`, 0.3, 0.2);
      a.machine.call(b.id);
      clock.advance(3_000);
      if (b.machine.state === 'ringing') b.machine.answer();
      clock.advance(30_000);
      if (a.machine.state === 'active') a.machine.hangup();
      settle(world);
      const key = `${reasons(a).join()} / ${reasons(b).join()}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    // Most runs get through 30 % loss (every message is repeated until answered), and in these
    // runs the two sides always heard each other's end: each pair is the mirror of the other.
    expect(outcomes.get('hangup-local / hangup-remote')).toBeGreaterThanOrEqual(30);
    for (const key of outcomes.keys()) {
      const [mine, theirs] = key.split(' / ');
      if (mine !== 'hangup-local') expect(mine, key).toBe(theirs);
    }
  });
});

describe('call machine: misuse', () => {
  type Pair = { world: World; a: Device; b: Device };
  const setups: Record<CallState | 'closed', (p: Pair) => void> = {
    idle: () => {},
    calling: ({ a, b }) => void a.machine.call(b.id),
    ringing: ({ world, a, b }) => {
      b.machine.call(a.id);
      world.clock.advance(100);
    },
    active: ({ world, a, b }) => void connect(world, b, a),
    ending: ({ a, b }) => {
      a.machine.call(b.id);
      a.machine.hangup();
    },
    closed: ({ a }) => a.machine.close(),
  };
  const cases: { action: string; when: CallState | 'closed'; act: (p: Pair) => unknown; code: string }[] = [
    { action: 'answer', when: 'idle', act: ({ a }) => a.machine.answer(), code: 'CALL_NOT_RINGING' },
    { action: 'reject', when: 'idle', act: ({ a }) => a.machine.reject(), code: 'CALL_NOT_RINGING' },
    { action: 'answer', when: 'calling', act: ({ a }) => a.machine.answer(), code: 'CALL_NOT_RINGING' },
    { action: 'answer', when: 'active', act: ({ a }) => a.machine.answer(), code: 'CALL_NOT_RINGING' },
    { action: 'reject', when: 'active', act: ({ a }) => a.machine.reject(), code: 'CALL_NOT_RINGING' },
    { action: 'answer', when: 'ending', act: ({ a }) => a.machine.answer(), code: 'CALL_NOT_RINGING' },
    { action: 'call', when: 'calling', act: ({ a, b }) => a.machine.call(b.id), code: 'CALL_NOT_IDLE' },
    { action: 'call', when: 'ringing', act: ({ a, b }) => a.machine.call(b.id), code: 'CALL_NOT_IDLE' },
    { action: 'call', when: 'active', act: ({ a }) => a.machine.call(peerIdOf('C')), code: 'CALL_NOT_IDLE' },
    { action: 'call yourself', when: 'idle', act: ({ a }) => a.machine.call(a.id), code: 'CALL_SELF' },
    { action: 'hangup', when: 'idle', act: ({ a }) => a.machine.hangup(), code: 'CALL_NO_CALL' },
    { action: 'call', when: 'closed', act: ({ a, b }) => a.machine.call(b.id), code: 'CALL_CLOSED' },
    { action: 'answer', when: 'closed', act: ({ a }) => a.machine.answer(), code: 'CALL_CLOSED' },
    { action: 'reject', when: 'closed', act: ({ a }) => a.machine.reject(), code: 'CALL_CLOSED' },
    { action: 'hangup', when: 'closed', act: ({ a }) => a.machine.hangup(), code: 'CALL_CLOSED' },
  ];

  it.each(cases)('$action when $when throws $code and changes nothing', ({ when, act, code }) => {
    const { world, a, b } = twoDevices();
    setups[when]({ world, a, b });
    const before = a.machine.snapshot();
    expect(before.state).toBe(when === 'closed' ? 'idle' : when);
    const sent = world.sent.length;
    expect(() => act({ world, a, b })).toThrow(expect.objectContaining({ name: 'KithError', code }));
    expect(a.machine.snapshot()).toEqual(before);
    expect(world.sent.length).toBe(sent);
  });

  it('refuses capabilities outside the codec ranges', () => {
    const world = new World();
    const bad: [OfferParams, string][] = [
      [{ sampleRates: [], frameMs: 20, maxBitrate: 32_000, redundancy: 0 }, 'no sample rate'],
      [{ sampleRates: [16_000], frameMs: 20, maxBitrate: 1_000_000, redundancy: 0 }, 'bitrate'],
      [{ sampleRates: [16_000], frameMs: 20, maxBitrate: 32_000, redundancy: 3 }, 'redundancy'],
    ];
    for (const [capabilities, problem] of bad) {
      expect(() => world.add('A', { capabilities })).toThrow(
        expect.objectContaining({ code: 'CALL_BAD_PARAMS', message: expect.stringContaining(problem) }),
      );
    }
  });
});
