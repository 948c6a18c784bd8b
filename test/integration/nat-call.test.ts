// Calls across real NATs (root only): two `kith run` processes, each behind its own Linux router
// doing cone, port-restricted or symmetric NAT (test/helpers/netns.ts; RFC 4787 §4.1 mapping, §5
// filtering), find each other through an entry node on the public side with no address given by
// anyone: the INVITE is routed over the overlay, both punch, and the channel opens directly where
// hole punching works and through the relay where it cannot (docs/overlay-protocol.md
// "Behaviour": INVITE, Relay; DESIGN §3 "Overlay (DRP)"). Then the call's speech must arrive.
// Every pair of NAT kinds runs at once in one bed; skipped with the reason on a laptop, a failure
// under CI=true (test/helpers/needs.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { decodeWav, encodeWav } from '../../src/hal/wav.js';
import { RATE } from '../helpers/call-world.js';
import { control, KITH_ENTRY, overlayConfig, type RunningKith, startKithIn } from '../helpers/kith.js';
import {
  type Bed,
  createBed,
  type ExecResult,
  type Host,
  type NatKind,
  netnsAvailable,
  PUNCH_MATRIX,
} from '../helpers/netns.js';
import { hasCommand, needs } from '../helpers/needs.js';
import { findDelay, piecewiseSimilarity, rms } from '../helpers/signal.js';
import { speech } from '../helpers/speech.js';
import { tmpDir } from '../helpers/tmp.js';

/** The config default; every host has an address of its own, so all of them use it. */
const PORT = 4801;
/** How long speech flows once the caller is in the call (the sentence is longer: it never loops). */
const SPEAK_MS = 2_500;
/**
 * Envelope similarity (test/helpers/signal.ts) the callee's recording must reach, as a mean over
 * half-second pieces (piecewiseSimilarity). Calls here gave 0.92-0.995 (the low end when the
 * playout adapted under load); the callee's steady tone heard by the caller gives 0.07-0.17,
 * another sentence about 0.45, silence 0: 0.85 passes only the caller's speech.
 */
const SIMILAR = 0.85;
/** At least this much of the sentence must be compared: a recording cut short is a failure too. */
const MIN_PIECES = 3;
/**
 * The end of the recording is not compared: the caller's microphone stops at its hangup while the
 * callee plays out its jitter buffer and records until the hangup reaches it.
 */
const TAIL_MS = 500;
/** The INVITE's route, the punch window (3 s), a relay link and the channel handshake, with margin. */
const RINGING_MS = 25_000;
const POLL_MS = 100;

interface Status {
  overlay: {
    joined: boolean;
    links: number;
    recentSetups: { peer: string; via: 'direct' | 'relay'; ms: number }[];
    routes: Record<string, unknown>;
    drops: Record<string, number>;
    rendezvous: Record<string, number>;
  };
  call: { state: string; contact?: string; direction?: string; endReason?: string | null };
}

interface Node {
  name: string;
  host: Host;
  kith: RunningKith;
  /** Where the sim speaker writes what the peer said, when a call ends. */
  heard: string;
}

interface Pair {
  kinds: readonly [NatKind, NatKind];
  caller: Node;
  callee: Node;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What `kith status --json` prints, asked over the control socket: a poll costs no process start. */
const status = async (node: Node) => (await control(node.kith, 'status')) as Status;

/** A `kith` client command run inside the node's namespace, as someone on that host would. */
function cli(node: Node, args: string[]): Promise<ExecResult> {
  return node.host.exec(process.execPath, [KITH_ENTRY, '--socket', node.kith.socket, ...args], 20_000);
}

/** Polls the node's status until `ok` holds (bounded); says where the overlay stood if it never does. */
async function waitFor(node: Node, what: string, ok: (s: Status) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(node);
    if (ok(s)) return s;
    if (Date.now() > deadline)
      throw new Error(
        `${node.name}: ${what} not seen in ${timeoutMs} ms; call ${JSON.stringify(s.call)}, ` +
          `overlay ${JSON.stringify(s.overlay)}`,
      );
    await sleep(POLL_MS);
  }
}

/**
 * Polls both ends until the callee rings (bounded). When the caller gives up first (the INVITE or
 * its answer found no route, no path opened), the error says so with the caller's overlay counters,
 * where the reason shows: its routes and drops, and the rendezvous' INVITEs and answers.
 */
async function untilRinging(caller: Node, callee: Node) {
  const deadline = Date.now() + RINGING_MS;
  for (;;) {
    const [mine, theirs] = await Promise.all([status(caller), status(callee)]);
    if (theirs.call.state === 'ringing') return theirs;
    const { routes, drops, rendezvous } = mine.overlay;
    const why = `caller routes ${JSON.stringify(routes)}, drops ${JSON.stringify(drops)}, rendezvous ${JSON.stringify(rendezvous)}; callee rendezvous ${JSON.stringify(theirs.overlay.rendezvous)}`;
    if (mine.call.state !== 'calling')
      throw new Error(
        `${caller.name}: the call ended (${mine.call.endReason ?? mine.call.state}) before ${callee.name} rang; ${why}`,
      );
    if (Date.now() > deadline) throw new Error(`${callee.name}: no ringing within ${RINGING_MS} ms; ${why}`);
    await sleep(POLL_MS);
  }
}

/** The recorder writes its file when the call ends, which may be just after the state reads idle. */
async function recording(path: string): Promise<Int16Array> {
  for (let i = 0; ; i++) {
    try {
      const wav = decodeWav(new Uint8Array(readFileSync(path)));
      if (wav.sampleRate !== RATE) throw new Error(`${path}: ${wav.sampleRate} Hz, not ${RATE}`);
      return wav.samples;
    } catch (err) {
      if (i >= 50 || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await sleep(100);
    }
  }
}

const available = netnsAvailable();
const NEED = 'root, ip, nft and network namespaces';
const inNamespaces = needs(available.ok ? NEED : `${NEED} (${available.reason})`, available.ok);
const speaks = needs('espeak-ng (speech for the call tests)', hasCommand('espeak-ng', ['--version']));

describe.runIf(inNamespaces && speaks)('calls between two kith run processes behind real NATs', () => {
  let bed: Bed | undefined;
  const services: RunningKith[] = [];
  const pairs: Pair[] = [];
  const figures: string[] = [];
  let voice: Int16Array;

  beforeAll(async () => {
    const dir = tmpDir('knat-');
    voice = speech(
      'Hello through the router. This call found its way without an address, one two three four five.',
    );
    const wav = join(dir, 'speech.wav');
    writeFileSync(wav, encodeWav(voice, RATE));
    bed = await createBed('kn');
    const entryHost = await bed.publicHost('e');
    services.push(
      await startKithIn(
        entryHost,
        join(dir, 'entry'),
        overlayConfig({ name: 'entry', address: entryHost.address, port: PORT }),
        { args: ['--entry'] },
      ),
    );
    const entryPeer = `${entryHost.address}:${PORT}`;

    // Each pair at two sites of its own: the caller's and the callee's NAT are distinct routers.
    const sites: [Host, Host][] = [];
    for (const [i, [a, b]] of PUNCH_MATRIX.entries()) {
      const siteA = await bed.site(`a${i}`, a, 1);
      const siteB = await bed.site(`b${i}`, b, 1);
      sites.push([siteA.hosts[0]!, siteB.hosts[0]!]);
    }
    const start = async (host: Host, name: string, microphone?: string): Promise<Node> => {
      const heard = join(dir, `${name}-heard.wav`);
      // The callee has no microphone file: the sim's tone, so the caller hears something not speech.
      const config = overlayConfig({
        name,
        address: host.address,
        port: PORT,
        entryPeer,
        ...(microphone ? { simInput: microphone } : {}),
        simOutput: heard,
      });
      const kith = await startKithIn(host, join(dir, name), config, { timeoutMs: 40_000 });
      services.push(kith);
      return { name, host, kith, heard };
    };
    pairs.push(
      ...(await Promise.all(
        PUNCH_MATRIX.map(async ([a, b], i) => {
          const [callerHost, calleeHost] = sites[i]!;
          const [caller, callee] = await Promise.all([
            start(callerHost, `call${i}`, wav),
            start(calleeHost, `answer${i}`),
          ]);
          return { kinds: [a, b] as const, caller, callee };
        }),
      )),
    );

    // Contacts from cards only: neither side is ever told where the other is.
    await Promise.all(
      pairs.flatMap(({ caller, callee }) =>
        [
          [caller, callee],
          [callee, caller],
        ].map(async ([from, to]) => {
          const card = join(dir, `${from!.name}.card`);
          const exported = await cli(from!, ['card', 'export', '--out', card]);
          if (exported.code !== 0) throw new Error(`card export on ${from!.name}: ${exported.stderr}`);
          const imported = await cli(to!, ['card', 'import', card, '--yes']);
          if (imported.code !== 0) throw new Error(`card import on ${to!.name}: ${imported.stderr}`);
        }),
      ),
    );
    await Promise.all(
      pairs
        .flatMap((p) => [p.caller, p.callee])
        .map((n) => waitFor(n, 'joined the overlay', (s) => s.overlay.joined, 30_000)),
    );
  }, 120_000);

  afterAll(async () => {
    try {
      await Promise.allSettled(services.map((s) => s.stop()));
    } finally {
      await bed?.destroy();
    }
    if (figures.length > 0)
      console.log(
        [
          // "call to": from starting `kith call` in the caller's namespace; active includes the
          // test's own `kith answer` (test/bench/overlay-nat.ts measures without these processes).
          'caller NAT x callee NAT           path    overlay setup ms  call to ringing ms  call to active ms  similarity',
          ...figures,
        ].join('\n'),
      );
  }, 60_000);

  it.concurrent.for(PUNCH_MATRIX.map(([a, b, opens]) => [a, b, opens ? 'directly' : 'through the relay']))(
    'a host behind %s NAT calls one behind %s: reached %s, and its speech arrives',
    async ([a, b], { expect }) => {
      const i = PUNCH_MATRIX.findIndex(([x, y]) => x === a && y === b);
      const { caller, callee, kinds } = pairs[i]!;
      const opens = PUNCH_MATRIX[i]![2];

      // (a) Found through the overlay alone, answered, and then active on both sides.
      const started = performance.now();
      const calling = await cli(caller, ['call', callee.name]);
      expect(calling.code, calling.stderr).toBe(0);
      expect(calling.stdout).toMatch(new RegExp(`^calling ${callee.name}`));
      const ringing = await untilRinging(caller, callee);
      const ringingMs = performance.now() - started;
      expect(ringing.call).toMatchObject({ contact: caller.name, direction: 'incoming' });
      const answered = await cli(callee, ['answer']);
      expect(answered.code, answered.stderr).toBe(0);
      await waitFor(caller, 'active', (s) => s.call.state === 'active', 10_000);
      const activeMs = performance.now() - started;
      await waitFor(callee, 'active', (s) => s.call.state === 'active', 10_000);

      await sleep(SPEAK_MS);
      expect((await status(callee)).call.state).toBe('active');
      expect((await status(caller)).call.state).toBe('active');
      const hung = await cli(caller, ['hangup']);
      expect(hung.code, hung.stderr).toBe(0);
      await waitFor(caller, 'idle', (s) => s.call.state === 'idle', 10_000);
      await waitFor(callee, 'idle', (s) => s.call.state === 'idle', 10_000);

      // (c) How the path was made, from `kith status --json` as a script would read it: one call,
      // one INVITE, one path.
      const shown = await cli(caller, ['status', '--json']);
      expect(shown.code, shown.stderr).toBe(0);
      const setups = (JSON.parse(shown.stdout) as Status).overlay.recentSetups;
      expect(setups).toHaveLength(1);
      const setup = setups[0]!;

      // (b) The callee heard the caller's speech. It records from its answer, so whatever delayed
      // the caller's start (the answer's trip back) shows as leading silence: the lag.
      const heard = await recording(callee.heard);
      const compared = heard.subarray(0, Math.max(0, heard.length - (TAIL_MS * RATE) / 1000));
      const maxLagMs = Math.max(0, (compared.length / RATE) * 1000 - 1_500);
      const alike = piecewiseSimilarity(voice, compared, findDelay(voice, compared, RATE, maxLagMs), RATE);
      // The other way carried the callee's tone: sound, but nothing like speech, as the measure must tell.
      const tone = await recording(caller.heard);
      const toneAlike = piecewiseSimilarity(voice, tone, findDelay(voice, tone, RATE, 1_000), RATE);

      figures.push(
        `${`${kinds[0]} x ${kinds[1]}`.padEnd(34)}${setup.via.padEnd(8)}${String(setup.ms).padStart(16)}` +
          `${String(Math.round(ringingMs)).padStart(20)}${String(Math.round(activeMs)).padStart(19)}` +
          `${alike.mean.toFixed(3).padStart(12)}`,
      );
      expect(setup.via).toBe(opens ? 'direct' : 'relay');
      expect(alike.pieces).toBeGreaterThanOrEqual(MIN_PIECES);
      expect(alike.mean).toBeGreaterThan(SIMILAR);
      expect(rms(tone)).toBeGreaterThan(1_000);
      expect(toneAlike.mean).toBeLessThan(SIMILAR);
    },
  );
});
