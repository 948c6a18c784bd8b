// Contact cards for tests: a fresh identity's signed card.
import { generateEd25519 } from '../../src/crypto/ed25519.js';
import { generateX25519 } from '../../src/crypto/x25519.js';
import { decodeCard, encodeCard, type SignedCard } from '../../src/wire/card.js';

export function makeCard(name: string): SignedCard {
  const ed = generateEd25519();
  const x = generateX25519();
  return decodeCard(
    encodeCard({ name, ed25519Public: ed.publicKey, x25519Public: x.publicKey }, ed.secretKey),
  );
}
