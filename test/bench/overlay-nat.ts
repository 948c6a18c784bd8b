// Call set-up time across real NATs (issue: overlay, "Call set-up time (INVITE sent to channel
// open) across the namespaces"): `kith run` processes behind Linux routers doing cone,
// port-restricted and symmetric NAT (test/helpers/netns.ts, RFC 4787), one pair per pair of NAT
// kinds, all joined through one entry node on the public side. For each call:
// - overlay setup: INVITE sent to path found (direct by PUNCH, or the relay after the 3 s punch
//   window; docs/overlay-protocol.md "Behaviour"), as the caller's `kith status` reports it;
// - ringing: `kith call` returning to the callee ringing (path, channel handshake, the call offer);
// - call setup: `kith call` returning to `active` on both sides, the callee answering as soon as it
//   rings; both polled every 20 ms over the control socket.
// One call at a time, ROUNDS calls per pair (it stops at a failure, which would only repeat).
// Between calls both sides drop and re-add the contact, which closes the channel, so every call
// finds its path afresh (the overlay stays warm, as it is for a call placed minutes after the
// last; NAT mappings the previous call left open may still be there).
// Needs root and network namespaces: without them a reason line on stderr, and nothing emitted.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { control, overlayConfig, type RunningKith, startKithIn } from '../helpers/kith.js';
import { type Bed, createBed, type Host, netnsAvailable, PUNCH_MATRIX } from '../helpers/netns.js';
import { emit } from './harness.js';

const PORT = 4801;
const ROUNDS = 3;
const POLL_MS = 20;
/** The INVITE's route, the 3 s punch window, a relay link and the handshake, with margin. */
const RINGING_MS = 20_000;
const ACTIVE_MS = 10_000;
/** How long each call is held before the hangup: long enough to carry a few hundred voice frames. */
const HOLD_MS = 1_000;

interface Status {
  overlay: { joined: boolean; recentSetups: { via: 'direct' | 'relay'; ms: number }[] };
  call: { state: string; endReason?: string | null };
}

interface Side {
  name: string;
  kith: RunningKith;
  card: string;
}

interface Pair {
  label: string;
  expected: 'direct' | 'relay';
  caller: Side;
  callee: Side;
}

const status = async (side: Side) => (await control(side.kith, 'status')) as Status;

/** Polls until `ok` holds; the time (performance.now) it was first seen, or an error at the bound. */
async function until(side: Side, what: string, ok: (s: Status) => boolean, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (ok(await status(side))) return performance.now();
    if (performance.now() > deadline) throw new Error(`${side.name}: ${what} not within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

/** When the callee rings; an error as soon as the caller gives up (an unreachable callee). */
async function untilRinging(caller: Side, callee: Side): Promise<number> {
  const deadline = performance.now() + RINGING_MS;
  for (;;) {
    const [mine, theirs] = await Promise.all([status(caller), status(callee)]);
    if (theirs.call.state === 'ringing') return performance.now();
    if (mine.call.state !== 'calling')
      throw new Error(
        `${caller.name}: the call ended (${mine.call.endReason ?? mine.call.state}) before ringing`,
      );
    if (performance.now() > deadline) throw new Error(`${callee.name}: no ringing within ${RINGING_MS} ms`);
    await sleep(POLL_MS);
  }
}

/** One call from `pair.caller`; the figures in ms, rounded. */
async function oneCall(pair: Pair) {
  const { caller, callee } = pair;
  const before = (await status(caller)).overlay.recentSetups.length;
  await control(caller.kith, 'call.start', { query: callee.name });
  const returned = performance.now();
  const ringing = await untilRinging(caller, callee);
  await control(callee.kith, 'call.answer');
  const active = await Promise.all(
    [caller, callee].map((side) => until(side, 'active', (s) => s.call.state === 'active', ACTIVE_MS)),
  );
  // Newest last, at most 10 kept: ROUNDS calls never fill it, so a new path is a longer list.
  const setups = (await status(caller)).overlay.recentSetups;
  const setup = setups.length > before ? setups.at(-1) : undefined;
  await sleep(HOLD_MS);
  await control(caller.kith, 'call.hangup');
  await Promise.all(
    [caller, callee].map((side) => until(side, 'idle', (s) => s.call.state === 'idle', ACTIVE_MS)),
  );
  return {
    via: setup?.via ?? null,
    overlaySetupMs: setup?.ms ?? null,
    ringingMs: Math.round(ringing - returned),
    callSetupMs: Math.round(Math.max(...active) - returned),
  };
}

/** Both sides forget and re-add each other: the channel closes, so the next call INVITEs again. */
async function forgetChannel(pair: Pair): Promise<void> {
  for (const [side, other] of [
    [pair.caller, pair.callee],
    [pair.callee, pair.caller],
  ] as const) {
    await control(side.kith, 'contacts.remove', { query: other.name });
    await control(side.kith, 'card.import', { text: other.card });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : (s[Math.floor((s.length - 1) / 2)] as number);
};

export async function run(): Promise<void> {
  const available = netnsAvailable();
  if (!available.ok) {
    process.stderr.write(`overlay-nat: skipped, needs root and network namespaces (${available.reason})\n`);
    return;
  }
  const dir = mkdtempSync('/tmp/knb-');
  let bed: Bed | undefined;
  const services: RunningKith[] = [];
  try {
    bed = await createBed('knb');
    const entryHost = await bed.publicHost('e');
    const entry = await startKithIn(
      entryHost,
      join(dir, 'entry'),
      overlayConfig({ name: 'entry', address: entryHost.address, port: PORT }),
      { args: ['--entry'] },
    );
    services.push(entry);
    const entryPeer = `${entryHost.address}:${PORT}`;
    const hosts: (readonly [Host, Host])[] = [];
    for (const [i, [a, b]] of PUNCH_MATRIX.entries()) {
      const siteA = await bed.site(`a${i}`, a, 1);
      const siteB = await bed.site(`b${i}`, b, 1);
      hosts.push([siteA.hosts[0]!, siteB.hosts[0]!] as const);
    }
    const start = async (i: number, role: 0 | 1): Promise<Side> => {
      const host = hosts[i]![role];
      const name = `${role === 0 ? 'call' : 'answer'}${i}`;
      const config = overlayConfig({ name, address: host.address, port: PORT, entryPeer });
      const kith = await startKithIn(host, join(dir, name), config, { timeoutMs: 40_000 });
      services.push(kith);
      const { text } = (await control(kith, 'card.export')) as { text: string };
      return { name, kith, card: text };
    };
    const pairs: Pair[] = await Promise.all(
      PUNCH_MATRIX.map(async ([a, b, opens], i) => {
        const [caller, callee] = await Promise.all([start(i, 0), start(i, 1)]);
        await control(caller.kith, 'card.import', { text: callee.card });
        await control(callee.kith, 'card.import', { text: caller.card });
        return { label: `${a} x ${b}`, expected: opens ? 'direct' : 'relay', caller, callee } as const;
      }),
    );
    await Promise.all(
      pairs
        .flatMap((p) => [p.caller, p.callee])
        .map((s) => until(s, 'joined', (x) => x.overlay.joined, 30_000)),
    );

    // One call at a time: the figures are the path's and the protocol's, not a busy machine's.
    for (const pair of pairs) {
      const { label, expected } = pair;
      const results: Awaited<ReturnType<typeof oneCall>>[] = [];
      let failed: string | null = null;
      for (let round = 1; round <= ROUNDS && failed === null; round++) {
        if (round > 1) await forgetChannel(pair);
        try {
          const r = await oneCall(pair);
          results.push(r);
          emit({ bench: 'overlay-nat', pair: label, expected, round, ...r });
        } catch (err) {
          // The same two IDs meet the same overlay next time: a failure would only repeat.
          failed = (err as Error).message;
          emit({ bench: 'overlay-nat', pair: label, expected, round, failed });
          await Promise.allSettled([pair.caller, pair.callee].map((s) => control(s.kith, 'call.hangup')));
        }
      }
      emit({
        bench: 'overlay-nat',
        pair: label,
        expected,
        calls: results.length,
        failed,
        via: [...new Set(results.map((r) => r.via))],
        overlaySetupMsMedian: median(
          results.flatMap((r) => (r.overlaySetupMs === null ? [] : [r.overlaySetupMs])),
        ),
        ringingMsMedian: median(results.map((r) => r.ringingMs)),
        callSetupMsMedian: median(results.map((r) => r.callSetupMs)),
      });
    }
  } finally {
    await Promise.allSettled(services.map((s) => s.stop()));
    await bed?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
