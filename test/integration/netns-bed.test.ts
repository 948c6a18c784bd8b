// The NAT test bed (test/helpers/netns.ts) against the kernel: each NAT kind maps and filters as
// RFC 4787 names it (§4.1 mapping, §5 filtering), and UDP hole punching (docs/overlay-protocol.md
// PUNCH, "Behaviour": INVITE) opens exactly the pairs DESIGN §3 "Overlay (DRP)" expects, so the
// overlay's NAT suite can trust the bed. Root only; skipped elsewhere, a failure under CI=true.
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTimeout } from '../helpers/kith.js';
import { type Bed, createBed, type Host, type NatKind, netnsAvailable } from '../helpers/netns.js';
import { needs } from '../helpers/needs.js';

const PROBE = resolve('test/fixtures/udp-probe.mjs');
const available = netnsAvailable();

interface Received {
  address: string;
  port: number;
  text: string;
}

/** One UDP socket of a probe. */
interface Sock {
  port: number;
  received: Received[];
  send(address: string, port: number, text: string): void;
  /** The first packet (already received or arriving within `ms`) that `match` accepts, or undefined. */
  waitFor(match: (r: Received) => boolean, ms: number): Promise<Received | undefined>;
}

interface Probe {
  /** A new socket on `port` (0: any); `echo` answers every packet with its source as seen. */
  open(port?: number, echo?: boolean): Promise<Sock>;
}

/** Starts test/fixtures/udp-probe.mjs in `host`'s namespace; the bed kills it on destroy. */
function probe(host: Host): Probe {
  const child: ChildProcess = host.spawn(process.execPath, [PROBE], { stdio: ['pipe', 'pipe', 'inherit'] });
  const sockets = new Map<
    string,
    { received: Received[]; waiters: Set<() => void>; bound: (port: number) => void }
  >();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const [word, id, a, b, text] = line.split(' ');
    const socket = sockets.get(id ?? '');
    if (word === 'bound' && socket && a) socket.bound(Number(a));
    if (word === 'recv' && socket && a && b && text) {
      socket.received.push({ address: a, port: Number(b), text });
      for (const w of socket.waiters) w();
    }
  });
  let next = 0;
  return {
    async open(port = 0, echo = false) {
      const id = `s${next++}`;
      const received: Received[] = [];
      const waiters = new Set<() => void>();
      const bound = new Promise<number>((res) => sockets.set(id, { received, waiters, bound: res }));
      child.stdin?.write(`open ${id} ${port}${echo ? ' echo' : ''}\n`);
      // Includes starting Node in the namespace: slow on a loaded machine.
      const actual = await withTimeout(bound, 10_000, `udp-probe in ${host.ns} did not bind`);
      return {
        port: actual,
        received,
        send(address, to, body) {
          child.stdin?.write(`send ${id} ${address} ${to} ${body}\n`);
        },
        waitFor(match, ms) {
          const found = received.find(match);
          if (found) return Promise.resolve(found);
          return new Promise((res) => {
            const done = (r: Received | undefined) => {
              clearTimeout(timer);
              waiters.delete(check);
              res(r);
            };
            const check = () => {
              const r = received.find(match);
              if (r) done(r);
            };
            const timer = setTimeout(() => done(undefined), ms);
            waiters.add(check);
          });
        },
      };
    },
  };
}

const text = (t: string) => (r: Received) => r.text === t;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
/** Long enough for a packet to cross two veths, a bridge and a router, with a wide margin. */
const ARRIVES_MS = 2_000;
/** How long to keep listening for a packet that must not come, after a later one did. */
const SETTLE_MS = 200;

function namespacesOf(bed: Bed): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 }).stdout;
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${bed.id}-`));
}

const NEED = 'root, ip, nft and network namespaces';
describe.runIf(needs(available.ok ? NEED : `${NEED} (${available.reason})`, available.ok))(
  'NAT test bed in network namespaces',
  () => {
    let bed: Bed;
    let pub1: Host;
    let pub2: Host;
    let third: Host;
    // One probe process per public host for the whole suite, a socket per test.
    let at1: Probe;
    let at2: Probe;
    let at3: Probe;
    beforeAll(async () => {
      bed = await createBed();
      pub1 = await bed.publicHost('p1');
      pub2 = await bed.publicHost('p2');
      third = await bed.publicHost('p3');
      [at1, at2, at3] = [probe(pub1), probe(pub2), probe(third)];
    });
    afterAll(async () => {
      await bed?.destroy();
    });

    it.each<[NatKind, string]>([
      ['none', 'the host itself'],
      ['cone', 'one port'],
      ['port-restricted', 'one port'],
      ['symmetric', 'a port per destination'],
    ])('a host behind %s reaches public hosts; they see %s', async (kind) => {
      const site = await bed.site(`m${kind.slice(0, 2)}`, kind, 1);
      const [h] = site.hosts;
      const [a, b, p] = await Promise.all([at1.open(0, true), at2.open(0, true), probe(h!).open()]);
      p.send(pub1.address, a.port, 'to-a');
      p.send(pub2.address, b.port, 'to-b');
      const seenByA = await a.waitFor(text('to-a'), ARRIVES_MS);
      const seenByB = await b.waitFor(text('to-b'), ARRIVES_MS);
      const source = kind === 'none' ? h!.address : site.publicAddress;
      expect(seenByA?.address).toBe(source);
      expect(seenByB?.address).toBe(source);
      if (kind === 'symmetric') expect(seenByA?.port).not.toBe(seenByB?.port);
      else expect(seenByA?.port).toBe(seenByB?.port);
      // The echoes come back through the mappings.
      expect(await p.waitFor(text(`seen:${source}:${seenByA?.port}`), ARRIVES_MS)).toBeDefined();
      expect(await p.waitFor(text(`seen:${source}:${seenByB?.port}`), ARRIVES_MS)).toBeDefined();
    });

    it.each<[NatKind, boolean]>([
      ['cone', true],
      ['port-restricted', false],
    ])('behind %s, inbound from endpoints never contacted arrives: %s', async (kind, open) => {
      const site = await bed.site(`u${kind.slice(0, 2)}`, kind, 1);
      const [a, aOther, c, p] = await Promise.all([
        at1.open(),
        at1.open(),
        at3.open(),
        probe(site.hosts[0]!).open(),
      ]);
      p.send(pub1.address, a.port, 'open');
      const mapped = await a.waitFor(text('open'), ARRIVES_MS);
      expect(mapped?.address).toBe(site.publicAddress);
      // Another host, and another port of the host contacted: both unsolicited.
      c.send(site.publicAddress, mapped!.port, 'from-third');
      aOther.send(site.publicAddress, mapped!.port, 'from-other-port');
      // The endpoint contacted gets through either way: the mapping is live, so a drop is filtering.
      a.send(site.publicAddress, mapped!.port, 'from-contacted');
      expect(await p.waitFor(text('from-contacted'), ARRIVES_MS)).toBeDefined();
      await sleep(SETTLE_MS);
      const fromThird = p.received.find(text('from-third'));
      const other = p.received.find(text('from-other-port'));
      if (open) {
        expect(fromThird?.address).toBe(third.address);
        expect(other?.port).toBe(aOther.port);
      } else {
        expect(fromThird).toBeUndefined();
        expect(other).toBeUndefined();
      }
    });

    it('a cone site keeps each of its hosts reachable on its own mapping', async () => {
      const site = await bed.site('two', 'cone', 2);
      const [a, c] = await Promise.all([at1.open(), at3.open()]);
      // Both hosts on one local port: the NAT has to give the second another public port.
      const hosts = await Promise.all(site.hosts.map((h) => probe(h).open(40_000)));
      hosts.forEach((p, i) => p.send(pub1.address, a.port, `host${i}`));
      const ports: number[] = [];
      for (const i of [0, 1]) {
        const seen = await a.waitFor(text(`host${i}`), ARRIVES_MS);
        expect(seen?.address).toBe(site.publicAddress);
        ports.push(seen!.port);
      }
      expect(ports[0]).not.toBe(ports[1]);
      ports.forEach((port, i) => c.send(site.publicAddress, port, `for${i}`));
      for (const [i, p] of hosts.entries())
        expect(await p.waitFor(text(`for${i}`), ARRIVES_MS)).toBeDefined();
      expect(hosts[0]!.received.find(text('for1'))).toBeUndefined();
      expect(hosts[1]!.received.find(text('for0'))).toBeUndefined();
    });

    describe('UDP hole punching between two sites through a rendezvous host', () => {
      let pair = 0;
      it.each<[NatKind, NatKind, boolean]>([
        ['cone', 'cone', true],
        ['cone', 'port-restricted', true],
        ['port-restricted', 'port-restricted', true],
        ['cone', 'symmetric', true],
        ['port-restricted', 'symmetric', false],
        ['symmetric', 'symmetric', false],
      ])('%s x %s opens: %s', async (kindA, kindB, opens) => {
        pair++;
        const siteA = await bed.site(`a${pair}`, kindA, 1);
        const siteB = await bed.site(`b${pair}`, kindB, 1);
        const [rv, pa, pb] = await Promise.all([
          at1.open(),
          probe(siteA.hosts[0]!).open(),
          probe(siteB.hosts[0]!).open(),
        ]);
        // Each learns the other's public mapping as the rendezvous saw it (the INVITE's candidates).
        pa.send(pub1.address, rv.port, 'reg-a');
        pb.send(pub1.address, rv.port, 'reg-b');
        const mapA = await rv.waitFor(text('reg-a'), ARRIVES_MS);
        const mapB = await rv.waitFor(text('reg-b'), ARRIVES_MS);
        expect(mapA?.address).toBe(siteA.publicAddress);
        expect(mapB?.address).toBe(siteB.publicAddress);
        // Both punch at once, a few probes each; whoever hears a punch answers to where it came from
        // (PUNCH with bit 1), which is what opens a symmetric NAT's fresh port from the other side.
        const punchers = [
          { me: pa, tag: 'a', peer: mapB! },
          { me: pb, tag: 'b', peer: mapA! },
        ];
        for (let round = 0; round < 5; round++) {
          for (const { me, tag, peer } of punchers) {
            me.send(peer.address, peer.port, `punch-${tag}${round}`);
            const heard = new Set(
              me.received.filter((r) => r.text.startsWith('punch-')).map((r) => `${r.address} ${r.port}`),
            );
            for (const from of heard) {
              const [address, port] = from.split(' ');
              me.send(address!, Number(port), `answer-${tag}${round}`);
            }
          }
          await sleep(50);
        }
        const fromPeer = (tag: string) => (r: Received) =>
          r.text.startsWith(`punch-${tag}`) || r.text.startsWith(`answer-${tag}`);
        const wait = opens ? ARRIVES_MS : SETTLE_MS;
        const [aHearsB, bHearsA] = await Promise.all([
          pa.waitFor(fromPeer('b'), wait),
          pb.waitFor(fromPeer('a'), wait),
        ]);
        expect({ aHearsB: aHearsB !== undefined, bHearsA: bHearsA !== undefined }).toEqual({
          aHearsB: opens,
          bHearsA: opens,
        });
      });
    });

    it('destroy removes every namespace of the bed, even one a failed site left behind, and kills its processes', async () => {
      const other = await createBed('kd');
      const host = await other.publicHost('p');
      const site = await other.site('s', 'symmetric', 1);
      const sleeper = site.hosts[0]!.spawn('sleep', ['60'], { stdio: 'ignore' });
      const exited = new Promise((res) => sleeper.once('exit', res));
      // A namespace already holding the name the next site's host wants: that site fails half built.
      spawnSync('ip', ['netns', 'add', `${other.id}-fh1`], { timeout: 10_000 });
      await expect(other.site('f', 'cone', 1)).rejects.toThrow(/netns add/);
      expect(namespacesOf(other)).toEqual(
        expect.arrayContaining([
          host.ns,
          site.router,
          site.hosts[0]!.ns,
          `${other.id}-fr`,
          `${other.id}-fh1`,
        ]),
      );
      await other.destroy();
      expect(namespacesOf(other)).toEqual([]);
      await withTimeout(exited, 5_000, 'the spawned process outlived destroy()');
      await other.destroy(); // idempotent
      expect(namespacesOf(other)).toEqual([]);
    });
  },
);
