// Properties of two call machines under random user actions and a pipe that loses or duplicates
// every message at every step (and, from some point on, loses everything), with either side
// restarting (a fresh machine, as after a crash) at any time. After the clock has run past every
// timeout:
//
// 1. Both sides are idle (every incarnation, the crashed ones too), and no timer is left.
// 2. Each incarnation recorded every call it showed (in a snapshot) exactly once, and no call twice.
//    The one exception is glare: a side that gave way drops its own call without a record, which
//    shows as a snapshot of its calling state followed straight by the peer's winning call (an
//    incoming call from the same peer with a larger id). A record without a snapshot is an OFFER
//    refused on arrival (busy, or parameters it cannot run): incoming, never answered, no duration.
// 3. The two sides agree. For a call both sides recorded, one side is the caller (outgoing) and the
//    other the callee (incoming). A side may decide an end itself (its user, its own timer, its own
//    pipeline), and a side that decided may be contradicted by the other only because neither had
//    heard the other yet (both hung up at once; or the peer's end never arrived, and it recorded a
//    timeout). But some reasons can only be learned from the peer's end message, and each of those
//    must match what the peer recorded:
//      caller recorded   hangup-remote  -> the callee recorded hangup-local
//                        rejected, no-answer, busy -> the callee recorded the same
//      callee recorded   hangup-remote  -> the caller recorded hangup-local
//                        unreachable    -> the caller recorded unreachable
//    and a caller that recorded its call answered (answeredAt) faces a callee that answered it
//    (showed it active: a callee may answer and crash before it records anything).
//    Every other reason (hangup-local; connection-lost and error, which a side may decide or learn;
//    the callee's own rejected, no-answer and busy; the caller's own unreachable) says nothing
//    about the other side beyond the rules above: e.g. A 'hangup-local' goes with B 'hangup-remote'
//    (B heard it), 'hangup-local' (both pressed at once), 'connection-lost' (B never heard it),
//    'no-answer' or 'rejected' (B's ring ended as A cancelled).
// 4. Duplicates never change the outcome: without loss, any duplication of any messages gives
//    exactly the records (reasons, times, everything) that no duplication gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CALL_TIMEOUTS } from '../../../src/call/call-machine.js';
import { type CallRecord, callRecordSchema, type EndReason } from '../../../src/store/call-record.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { isKithError } from '../../../src/errors.js';
import { type Device, type Fate, type Incarnation, World } from './world.js';

type Side = 'A' | 'B';
type Action = 'call' | 'answer' | 'reject' | 'hangup' | 'fail' | 'restart';

interface Scenario {
  actions: { at: number; who: Side; what: Action }[];
  /** The fate of each message in the order they are sent; after these, `then` for all. */
  fates: Fate[];
  then: 'deliver' | 'drop';
  /** From this time on nothing crosses, voice included. */
  blackoutAt: number | undefined;
  latencyMs: number;
  /** After the last action: both users hang up (the pipe goes on as before), or the pipe goes dark. */
  finish: 'hangup' | 'blackout';
}

const LAST_ACTION_MS = 70_000;
const FINISH_MS = LAST_ACTION_MS + 5_000;
/** The misuse a random user runs into; anything else thrown is a failure. */
const MISUSE = new Set(['CALL_NOT_IDLE', 'CALL_NOT_RINGING', 'CALL_NO_CALL']);

const weighted = <T>(...choices: [T, number][]): fc.Arbitrary<T> =>
  fc.oneof(...choices.map(([value, weight]) => ({ arbitrary: fc.constant(value), weight })));

const action = fc.record({
  at: fc.integer({ min: 0, max: LAST_ACTION_MS }),
  who: fc.constantFrom<Side>('A', 'B'),
  what: weighted<Action>(
    ['call', 4],
    ['answer', 4],
    ['reject', 1],
    ['hangup', 2],
    ['fail', 1],
    ['restart', 1],
  ),
});

function scenario(fate: fc.Arbitrary<Fate>, then: fc.Arbitrary<'deliver' | 'drop'>): fc.Arbitrary<Scenario> {
  return fc.record({
    actions: fc.array(action, { minLength: 1, maxLength: 10 }),
    fates: fc.array(fate, { maxLength: 300 }),
    then,
    blackoutAt: fc.option(fc.integer({ min: 0, max: FINISH_MS }), { nil: undefined }),
    latencyMs: fc.integer({ min: 1, max: 500 }),
    finish: fc.constantFrom('hangup' as const, 'blackout' as const),
  });
}

const lossy = scenario(
  weighted<Fate>(['deliver', 6], ['drop', 3], ['dup', 2]),
  fc.constantFrom('deliver' as const, 'drop' as const),
);

function run(s: Scenario, fates: Fate[] = s.fates): World {
  const world = new World();
  world.latencyMs = s.latencyMs;
  world.blackoutAt = s.blackoutAt ?? Number.POSITIVE_INFINITY;
  let sent = 0;
  world.fate = () => fates[sent++] ?? s.then;
  const sides = { A: world.add('A'), B: world.add('B') };
  const act = (who: Side, what: Action) => {
    const me = sides[who];
    const peer = sides[who === 'A' ? 'B' : 'A'];
    try {
      if (what === 'call') me.machine.call(peer.id);
      else if (what === 'restart') me.restart();
      else me.machine[what]();
    } catch (err) {
      if (!isKithError(err) || !MISUSE.has(err.code)) throw err;
    }
  };
  for (const a of s.actions) world.clock.schedule(a.at, () => act(a.who, a.what));
  world.clock.schedule(FINISH_MS, () => {
    if (s.finish === 'blackout') world.blackoutAt = Math.min(world.blackoutAt, FINISH_MS);
    else for (const who of ['A', 'B'] as const) if (sides[who].machine.state !== 'idle') act(who, 'hangup');
  });
  world.clock.runUntilIdle({ maxMs: FINISH_MS + 10 * CALL_TIMEOUTS.ringCapMs });
  return world;
}

const keyOf = (id: Uint8Array) => toHex(id);

/** Rule 2 for one incarnation. */
function checkRecords(device: Device, inc: Incarnation): void {
  const recorded = new Map<string, CallRecord>();
  for (const r of inc.records) {
    expect(callRecordSchema.safeParse(r).success, `${device.name}: a record the store would refuse`).toBe(
      true,
    );
    expect(recorded.has(keyOf(r.id)), `${device.name}: call recorded twice`).toBe(false);
    recorded.set(keyOf(r.id), r);
  }
  const shown = new Set<string>();
  inc.snapshots.forEach((snap, i) => {
    if (!snap.call) return;
    const key = keyOf(snap.call.id);
    shown.add(key);
    const next = inc.snapshots[i + 1]?.call;
    const gaveWay =
      snap.state === 'calling' &&
      next !== undefined &&
      next !== null &&
      keyOf(next.id) !== key &&
      next.direction === 'incoming' &&
      next.peerId === snap.call.peerId &&
      Buffer.compare(Buffer.from(next.id), Buffer.from(snap.call.id)) > 0;
    if (gaveWay) shown.delete(key);
  });
  if (inc.alive) {
    for (const key of shown)
      expect(recorded.has(key), `${device.name}: call ${key} shown, never recorded`).toBe(true);
  }
  for (const [key, r] of recorded) {
    if (shown.has(key)) continue;
    // Not shown: refused on arrival, or given way to in glare and then... never; only refusals.
    expect(r, `${device.name}: call ${key} recorded, never shown`).toMatchObject({
      direction: 'incoming',
      answeredAt: null,
      endedAt: r.startedAt,
    });
    expect(['busy', 'error']).toContain(r.endReason);
  }
}

const LEARNED: Record<'outgoing' | 'incoming', Partial<Record<EndReason, EndReason>>> = {
  outgoing: { 'hangup-remote': 'hangup-local', rejected: 'rejected', 'no-answer': 'no-answer', busy: 'busy' },
  incoming: { 'hangup-remote': 'hangup-local', unreachable: 'unreachable' },
};

/** Rule 3: `mine` are one side's records, `theirs` the other side (all incarnations). */
function checkAgreement(mine: CallRecord[], theirs: Device): void {
  for (const r of mine) {
    const other = theirs.records.filter((t) => keyOf(t.id) === keyOf(r.id));
    for (const t of other) expect(t.direction, 'one caller, one callee').not.toBe(r.direction);
    const expected = LEARNED[r.direction][r.endReason];
    if (expected) {
      expect(
        other.map((t) => t.endReason),
        `${r.direction} call recorded ${r.endReason}, learned from the peer`,
      ).toContain(expected);
    }
    // Answering is shown, not recorded, until the call ends: a callee may answer and crash.
    if (r.direction === 'outgoing' && r.answeredAt !== null) {
      const answered = theirs.incarnations.some((inc) =>
        inc.snapshots.some(
          (snap) => snap.state === 'active' && snap.call && keyOf(snap.call.id) === keyOf(r.id),
        ),
      );
      expect(answered, 'answered on one side only').toBe(true);
    }
  }
}

function checkAll(world: World): void {
  const [a, b] = [...world.devices.values()] as [Device, Device];
  for (const d of [a, b]) {
    for (const inc of d.incarnations) {
      expect(inc.machine.state, `${d.name} idle`).toBe('idle');
      checkRecords(d, inc);
    }
  }
  expect(world.clock.pending).toBe(0);
  checkAgreement(a.records, b);
  checkAgreement(b.records, a);
}

describe('call machine: properties', () => {
  it('whatever is lost, duplicated or restarted, both sides end idle, record each call once, and agree', () => {
    fc.assert(
      fc.property(lossy, (s) => checkAll(run(s))),
      { numRuns: 1000 },
    );
  });

  it('duplicates never change the outcome', () => {
    const duplicating = scenario(weighted<Fate>(['deliver', 2], ['dup', 1]), fc.constant('deliver' as const));
    fc.assert(
      fc.property(duplicating, (s) => {
        const plain = run(s, []);
        const doubled = run(s);
        for (const name of ['A', 'B']) {
          const records = (w: World) => [...w.devices.values()].find((d) => d.name === name)?.records;
          expect(records(doubled)).toEqual(records(plain));
        }
        checkAll(doubled);
      }),
      { numRuns: 500 },
    );
  });

  it('the scenarios reach every state and every end reason', () => {
    // The properties above mean little unless random runs get everywhere.
    const states = new Set<string>();
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(lossy, (s) => {
        const world = run(s);
        for (const d of world.devices.values()) {
          for (const inc of d.incarnations) {
            for (const snap of inc.snapshots) states.add(snap.state);
            for (const r of inc.records) outcomes.add(r.endReason);
          }
        }
      }),
      { numRuns: 1000, seed: 1 },
    );
    expect([...states].sort()).toEqual(['active', 'calling', 'ending', 'idle', 'ringing']);
    expect([...outcomes].sort()).toEqual(
      [
        'busy',
        'connection-lost',
        'error',
        'hangup-local',
        'hangup-remote',
        'no-answer',
        'rejected',
        'unreachable',
      ].sort(),
    );
  });
});
