// The long fuzz run (`npm run fuzz [-- RUNS]`): the same properties as the bounded fuzz tests in
// `npm test`, with many more inputs. Random and mutated packets go into every decoder and into
// both routers of a live channel; no exception may escape and no table may grow without bound.
import fc from 'fast-check';
import { utf8 } from '../../src/crypto/bytes.js';
import { decodeChannelPacket } from '../../src/wire/channel.js';
import { cardFromText, decodeCard } from '../../src/wire/card.js';
import { decodeInvite, encodeInvite } from '../../src/wire/invite.js';
import {
  decodeLinkedBody,
  decodeLinkedFrame,
  decodeUnlinked,
  encodeHello,
  encodeHelloAck,
  encodeLinked,
  encodePunch,
  OverlayType,
} from '../../src/wire/overlay.js';
import { mutatedPacket } from '../helpers/mutate.js';
import { pair } from '../helpers/channel-pair.js';

const runs = Number(process.argv[2] ?? 200_000);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`runs must be a positive whole number, got ${process.argv[2]}`);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
console.log(JSON.stringify({ fuzz: 'start', runs, seed }));

const onlyKith = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof Error && err.name === 'KithError')) throw err;
  }
};

fc.assert(
  fc.property(fc.uint8Array({ maxLength: 1400 }), (bytes) => {
    decodeChannelPacket(bytes);
    onlyKith(() => decodeCard(bytes));
    onlyKith(() => cardFromText(`kith-card:${Buffer.from(bytes).toString('base64url')}`));
    overlayDecoders(bytes);
  }),
  { numRuns: runs, seed },
);

// The overlay decoders (wire/overlay.ts, wire/invite.ts) return a failure name and never throw; a
// linked body is decoded as if its MAC had passed, as a forged or buggy peer's would.
function overlayDecoders(bytes: Uint8Array): void {
  decodeUnlinked(bytes);
  const frame = decodeLinkedFrame(bytes);
  if (typeof frame === 'object') decodeLinkedBody(frame.type, frame.body);
  decodeInvite(bytes);
}
const z = (n: number) => new Uint8Array(n).fill(1);
const at = { address: '192.0.2.1', port: 4801 };
const mac = () => z(16);
const overlayValid = [
  encodeHello(
    {
      senderId: z(32),
      ephemeral: z(32),
      timestamp: 1,
      powNonce: z(8),
      difficulty: 14,
      flags: 3,
      linkIndex: 1,
    },
    z(64),
  ),
  encodeHelloAck(
    {
      responderId: z(32),
      ephemeral: z(32),
      helloHash: z(32),
      observed: { address: '2001:db8::1', port: 1 },
      linkIndex: 2,
      minDifficulty: 14,
      flags: 0,
    },
    z(64),
  ),
  encodePunch(z(16), 1, z(8), mac),
  encodeLinked({ type: OverlayType.pong, timestamp: 1, observed: at, flags: 4 }, 1, 1, mac),
  encodeLinked(
    { type: OverlayType.findReply, requestId: 1, nodes: [{ id: z(32), endpoint: at }] },
    1,
    2,
    mac,
  ),
  encodeLinked(
    { type: OverlayType.route, messageId: z(8), ttl: 32, kind: 1, destination: z(32), body: z(100) },
    1,
    3,
    mac,
  ),
  encodeLinked({ type: OverlayType.relay, destination: z(32), payload: z(200) }, 1, 4, mac),
  encodeInvite(
    {
      kind: 1,
      senderId: z(32),
      inviteId: z(16),
      timestamp: 1,
      punchKey: z(32),
      candidates: [at, at],
      relay: { id: z(32), endpoint: at },
    },
    z(64),
  ),
];
fc.assert(
  fc.property(mutatedPacket(overlayValid), (m) => overlayDecoders(m)),
  { numRuns: runs, seed },
);

const p = pair({ seed: `fuzz-${seed}` });
const valid: Uint8Array[] = [];
p.net.onDeliver((packet) => valid.push(packet.slice()));
void p.ab.connect();
p.clock.runUntil(() => p.ab.info().state === 'open');
for (let i = 0; i < 50; i++) {
  p.ab.send(utf8(`message ${i}`));
  p.ba.sendDatagram(utf8(`datagram ${i}`));
}
p.clock.advance(1000);
const feed = (bytes: Uint8Array) => {
  p.b.router.handlePacket(bytes, p.a.transport.local);
  p.a.router.handlePacket(bytes, p.b.transport.local);
};
fc.assert(
  fc.property(mutatedPacket(valid), (m) => feed(m)),
  { numRuns: runs, seed },
);
p.clock.advance(60_000);
const stats = { a: p.a.router.stats(), b: p.b.router.stats() };
if (stats.a.indices > 3 || stats.b.indices > 3 || stats.b.rateLimiterEntries > 4096) {
  throw new Error(`a table grew: ${JSON.stringify({ a: stats.a.indices, b: stats.b.indices })}`);
}
console.log(JSON.stringify({ fuzz: 'done', runs, seed, dropsB: stats.b.drops }));
