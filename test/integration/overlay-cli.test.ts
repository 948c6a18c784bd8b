// `kith status` and `kith peers` against real `kith run` processes on 127.0.0.1: an entry peer, a
// node that joins through it (docs/overlay-protocol.md "Join"), and one with no entry peers; plus
// the overlay lines built from made-up statuses for what two loopback nodes never show (load,
// NAT, path setups).
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePeers, type PeersReply } from '../../src/cli/peers.js';
import { overlayFields } from '../../src/cli/status.js';
import { utf8 } from '../../src/crypto/bytes.js';
import { seededRng } from '../../src/crypto/random.js';
import type { NeighbourInfo } from '../../src/overlay/node.js';
import type { OverlayStatus } from '../../src/service/overlay.js';
import { Testnet } from '../../src/sim/testnet.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { VirtualNetwork } from '../../src/sim/virtual-network.js';
import { kith, type RunningKith, startKith } from '../helpers/kith.js';
import { tmpDir } from '../helpers/tmp.js';

/** Asks `device` for its status until `ready` says yes (bounded: a join takes well under this). */
async function pollStatus(
  device: RunningKith,
  ready: (s: { overlay: OverlayStatus }) => boolean,
  what: string,
): Promise<{ overlay: OverlayStatus; identity: { ed25519Public: string } }> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    const res = await kith(['--socket', device.socket, 'status', '--json']);
    last = res.stdout || res.stderr;
    if (res.code === 0) {
      const status = JSON.parse(res.stdout) as {
        overlay: OverlayStatus;
        identity: { ed25519Public: string };
      };
      if (ready(status)) return status;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not happen in time; last status: ${last}`);
}

/** Sends raw datagrams to a service's UDP port from a loopback socket of our own. */
async function sendUdp(to: string, packets: Uint8Array[]): Promise<void> {
  const [address, port] = [to.slice(0, to.lastIndexOf(':')), Number(to.slice(to.lastIndexOf(':') + 1))];
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((res) => socket.bind(0, '127.0.0.1', res));
    for (const p of packets) {
      await new Promise<void>((res, rej) => socket.send(p, port, address, (err) => (err ? rej(err) : res())));
    }
  } finally {
    socket.close();
  }
}

const lineOf = (text: string, label: string) => text.split('\n').find((l) => l.startsWith(`${label}:`));

describe('kith status and kith peers with a running overlay', () => {
  let dir: string;
  let entry: RunningKith;
  let joiner: RunningKith;
  let loner: RunningKith;
  let entryId: string;
  let joinerId: string;

  beforeAll(async () => {
    dir = tmpDir();
    [entry, loner] = await Promise.all([
      startKith(join(dir, 'entry'), { args: ['--entry'] }),
      startKith(join(dir, 'loner')),
    ]);
    joiner = await startKith(join(dir, 'joiner'), { args: ['--entry-peer', entry.udp] });
    const joined = await pollStatus(joiner, (s) => s.overlay.joined, 'the join through the entry peer');
    joinerId = joined.identity.ed25519Public;
    entryId = (await pollStatus(entry, (s) => s.overlay.links === 1, 'the entry peer linking')).identity
      .ed25519Public;
  });
  afterAll(async () => {
    await Promise.all([entry?.stop(), joiner?.stop(), loner?.stop()]);
  });

  const on = (device: () => RunningKith, args: string[]) => kith(['--socket', device().socket, ...args]);

  it('lists each neighbour in `kith peers --json`, with the entry flag the entry peer announced', async () => {
    const fromJoiner = await on(() => joiner, ['peers', '--json']);
    expect(fromJoiner.code, fromJoiner.stderr).toBe(0);
    const seenByJoiner = JSON.parse(fromJoiner.stdout) as PeersReply;
    expect(seenByJoiner.id).toBe(joinerId);
    expect(seenByJoiner.peers).toHaveLength(1);
    expect(seenByJoiner.peers[0]).toMatchObject({
      id: entryId,
      endpoint: entry.udp,
      inTable: true,
      initiator: true,
      entry: true,
      relay: true,
    });

    const seenByEntry = JSON.parse((await on(() => entry, ['peers', '--json'])).stdout) as PeersReply;
    expect(seenByEntry.id).toBe(entryId);
    expect(seenByEntry.peers).toHaveLength(1);
    expect(seenByEntry.peers[0]).toMatchObject({
      id: joinerId,
      endpoint: joiner.udp,
      initiator: false,
      entry: false,
      relay: false,
    });
  });

  it('prints the neighbours as a table under our ID in `kith peers`', async () => {
    const res = await on(() => joiner, ['peers']);
    expect(res.code, res.stderr).toBe(0);
    const [header, columns, row, ...rest] = res.stdout.trimEnd().split('\n');
    expect(header).toBe(`Overlay node ${joinerId}: 1 neighbour (1 in table), closest first`);
    expect(columns).toMatch(/^ID\s+ADDRESS\s+TABLE\s+FLAGS\s+RTT\s+AGE\s+IDLE$/);
    expect(row).toMatch(
      new RegExp(
        `^${entryId.slice(0, 12)}\\s+${entry.udp}\\s+yes\\s+entry,relay\\s+(-|\\d+\\.\\d ms)\\s+\\d+s\\s+\\d+s$`,
      ),
    );
    expect(rest).toEqual([]);

    const back = await on(() => entry, ['peers']);
    expect(back.stdout).toContain(`${joinerId.slice(0, 12)}  ${joiner.udp}`);
  });

  it('says "no neighbours" for a node nobody is linked to', async () => {
    const id = (await pollStatus(loner, () => true, 'a status')).identity.ed25519Public;
    const res = await on(() => loner, ['peers']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`Overlay node ${id}: no neighbours\n`);
  });

  it('shows membership, public address and NAT, and packets by type in `kith status`', async () => {
    const res = await on(() => joiner, ['status']);
    expect(res.code, res.stderr).toBe(0);
    expect(lineOf(res.stdout, 'Overlay')).toMatch(/^Overlay: +joined, 1 neighbour \(1 in table\)$/);
    // The entry peer saw our HELLO come from our own address: no NAT on loopback.
    expect(lineOf(res.stdout, 'Public address')).toMatch(/^Public address: +127\.0\.0\.1:(\d+), NAT: none$/);
    expect(lineOf(res.stdout, 'Public address')).toContain(joiner.udp);
    expect(lineOf(res.stdout, 'Overlay packets')).toMatch(
      /^Overlay packets: +\d+ in \((\w+ \d+, )*helloAck 1(, \w+ \d+)*\), \d+ out$/,
    );
    // Calm, at the configured base: no PoW line; no INVITE yet: no path setups.
    expect(res.stdout).not.toContain('PoW difficulty');
    expect(res.stdout).not.toContain('Path setups');

    const fromEntry = await on(() => entry, ['status']);
    expect(lineOf(fromEntry.stdout, 'Overlay')).toMatch(/1 neighbour \(1 in table\), entry peer$/);

    // The entry mostly answers; the joiner's PINGs (every 5 s) tell it its own address.
    await pollStatus(entry, (s) => s.overlay.observed === entry.udp, 'the entry learning its address');
    const later = await on(() => entry, ['status']);
    expect(lineOf(later.stdout, 'Public address')).toBe(`Public address:  ${entry.udp}, NAT: none`);
  });

  it('says "not joined" when no entry peers are configured', async () => {
    const res = await on(() => loner, ['status']);
    expect(res.code, res.stderr).toBe(0);
    expect(lineOf(res.stdout, 'Overlay')).toMatch(/^Overlay: +not joined \(no entry peers configured\)$/);
    expect(lineOf(res.stdout, 'Public address')).toMatch(/unknown \(no neighbour has reported it yet\)$/);
    expect(res.stdout).not.toContain('Overlay drops');
  });

  it('counts drops by reason, the most frequent first', async () => {
    // HELLOs of another protocol version, and one of the wrong length (spec "Packets").
    const badVersion = Uint8Array.of(0x01, 0x07);
    await sendUdp(loner.udp, [badVersion, badVersion, badVersion, Uint8Array.of(0x01, 0x01)]);
    await pollStatus(
      loner,
      (s) => s.overlay.drops['bad-version'] === 3 && s.overlay.drops['bad-length'] === 1,
      'the drops being counted',
    );
    const line = lineOf((await on(() => loner, ['status'])).stdout, 'Overlay drops');
    expect(line).toMatch(/^Overlay drops: +bad-version 3, bad-length 1$/);
  });
});

describe('kith peers without a service', () => {
  it('fails with the same message as kith status', async () => {
    const socket = join(tmpDir(), 'none.sock');
    const [peers, status] = await Promise.all([
      kith(['peers'], { env: { KITH_SOCKET: socket } }),
      kith(['status'], { env: { KITH_SOCKET: socket } }),
    ]);
    expect(peers.code).toBe(1);
    expect(peers.stderr).toContain(`kith: no Kith service is running (nothing answers on ${socket})`);
    expect(peers.stderr).toBe(status.stderr);
    expect(peers.stdout).toBe('');
  });
});

function overlay(extra: Partial<OverlayStatus> = {}): OverlayStatus {
  return {
    id: 'ab'.repeat(32),
    joined: true,
    links: 12,
    tableSize: 9,
    observed: '203.0.113.7:40001',
    nat: 'endpoint-independent',
    minDifficulty: 14,
    baseDifficulty: 14,
    received: { ping: 40, pong: 38, find: 3, hello: 2 },
    sent: 90,
    drops: {},
    // Not shown by the human form (only --json): their exact shape does not matter here.
    routes: {} as OverlayStatus['routes'],
    tables: {} as OverlayStatus['tables'],
    entry: false,
    relaying: false,
    entryPeers: ['198.51.100.1:4801'],
    relay: { forwardedPackets: 0, forwardedBytes: 0, throttled: 0, pairs: 0, handles: 0 },
    rendezvous: {
      invitesSent: 0,
      invitesReceived: 0,
      answersReceived: 0,
      direct: 0,
      relayed: 0,
      failed: 0,
      exchanges: 0,
    },
    recentSetups: [],
    ...extra,
  };
}

const field = (o: OverlayStatus, label: string, base: number | null = 14) =>
  overlayFields(o, base).find(([k]) => k === label)?.[1];

describe('the overlay lines of kith status', () => {
  it('names membership, neighbours and role', () => {
    expect(field(overlay({ entry: true, relaying: true }), 'Overlay')).toBe(
      'joined, 12 neighbours (9 in table), entry peer',
    );
    expect(field(overlay({ relaying: true, links: 1, tableSize: 1 }), 'Overlay')).toBe(
      'joined, 1 neighbour (1 in table), relay',
    );
    expect(field(overlay({ joined: false, links: 0, tableSize: 0 }), 'Overlay')).toBe(
      'not joined (no entry peer answered)',
    );
    expect(field(overlay({ joined: false, links: 1, tableSize: 0 }), 'Overlay')).toBe(
      'not joined (looking up our place), 1 neighbour (0 in table)',
    );
    expect(field(overlay({ joined: false, links: 0, entryPeers: [] }), 'Overlay')).toBe(
      'not joined (no entry peers configured)',
    );
  });

  it('says what the NAT behaviour means for calls', () => {
    expect(field(overlay(), 'Public address')).toBe(
      '203.0.113.7:40001, NAT: endpoint-independent mapping (hole punching works)',
    );
    expect(field(overlay({ nat: 'endpoint-dependent' }), 'Public address')).toBe(
      '203.0.113.7:40001, NAT: endpoint-dependent (symmetric) mapping (calls may need a relay)',
    );
    expect(field(overlay({ nat: 'unknown' }), 'Public address')).toBe(
      '203.0.113.7:40001, NAT: unknown until a second neighbour reports it',
    );
    expect(field(overlay({ observed: null, nat: 'unknown' }), 'Public address')).toBe(
      'unknown (no neighbour has reported it yet)',
    );
  });

  it('sorts packets and drops by count, leaving out drops when there are none', () => {
    expect(field(overlay(), 'Overlay packets')).toBe('83 in (ping 40, pong 38, find 3, hello 2), 90 out');
    expect(field(overlay({ received: {}, sent: 0 }), 'Overlay packets')).toBe('0 in, 0 out');
    expect(field(overlay(), 'Overlay drops')).toBeUndefined();
    expect(field(overlay({ drops: { replay: 2, 'bad-mac': 7, 'bad-pow': 2 } }), 'Overlay drops')).toBe(
      'bad-mac 7, bad-pow 2, replay 2',
    );
  });

  it('shows the PoW difficulty only when load has raised it above the base', () => {
    expect(field(overlay({ minDifficulty: 14 }), 'PoW difficulty')).toBeUndefined();
    expect(field(overlay({ minDifficulty: 17 }), 'PoW difficulty')).toBe(
      '17 bits (raised under load from 14)',
    );
    expect(field(overlay({ minDifficulty: 17 }), 'PoW difficulty', 17)).toBeUndefined();
    expect(field(overlay({ minDifficulty: 17 }), 'PoW difficulty', null)).toBeUndefined();
  });

  it('lists the last five path setups, newest first', () => {
    const recentSetups = Array.from({ length: 7 }, (_, i) => ({
      peer: `${i}`.repeat(12),
      via: i % 2 === 0 ? ('direct' as const) : ('relay' as const),
      ms: 100 * (i + 1),
    }));
    expect(field(overlay(), 'Path setups')).toBeUndefined();
    expect(field(overlay({ recentSetups }), 'Path setups')).toBe(
      '666666666666 direct 700 ms, 555555555555 relay 600 ms, 444444444444 direct 500 ms, ' +
        '333333333333 relay 400 ms, 222222222222 direct 300 ms',
    );
  });
});

describe('the kith peers table', () => {
  const neighbour = (extra: Partial<NeighbourInfo>): NeighbourInfo => ({
    id: '0f'.repeat(32),
    endpoint: '198.51.100.9:4801',
    inTable: true,
    initiator: true,
    entry: false,
    relay: false,
    rttMs: 12.345,
    ageMs: 125_400,
    idleMs: 2_600,
    ...extra,
  });

  it('keeps the service order and shows flags, RTT, age and idle time', () => {
    const text = describePeers({
      id: 'ab'.repeat(32),
      peers: [
        neighbour({ id: 'aa'.repeat(32), entry: true, relay: true }),
        neighbour({ id: '01'.repeat(32), inTable: false, rttMs: null, relay: true }),
      ],
    });
    expect(text.split('\n')).toEqual([
      `Overlay node ${'ab'.repeat(32)}: 2 neighbours (1 in table), closest first`,
      'ID            ADDRESS            TABLE  FLAGS        RTT      AGE    IDLE',
      'aaaaaaaaaaaa  198.51.100.9:4801  yes    entry,relay  12.3 ms  2m 5s  3s',
      '010101010101  198.51.100.9:4801  no     relay        -        2m 5s  3s',
    ]);
  });
});

// An entry peer with no entry peers of its own is the network's first node: joined from the
// start, and still joined once others link to it.
describe('an entry peer that is the first node', () => {
  it('stays joined while it waits for others, and once one has linked to it', () => {
    const clock = new VirtualClock();
    const net = new VirtualNetwork({
      clock,
      rng: seededRng(utf8('first/net')),
      defaultLink: { delayMs: 20, loss: 0 },
    });
    const testnet = new Testnet({ clock, net, rng: seededRng(utf8('first/nodes')), difficulty: 4 });
    const entry = testnet.addEntry('203.0.113.1');
    clock.advance(3_000);
    testnet.addNode('198.51.100.1');
    clock.advance(5_000);
    expect(entry.node.stats()).toMatchObject({ links: 1, joined: true });
  });
});
