// Mutated copies of real packets, for fuzzing packet handlers: pick a packet seen on the wire,
// cut it short (or not) and flip a few bytes. Random bytes alone rarely get past a type check;
// mutations of valid packets reach the deeper code.
import fc from 'fast-check';

export function mutatedPacket(valid: readonly Uint8Array[], maxFlips = 6): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: valid.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: maxFlips }),
      fc.nat({ max: 1300 }),
    )
    .map(([which, flips, cut]) => {
      const m = (valid[which] as Uint8Array).slice(0, cut === 0 ? undefined : cut);
      for (const [at, mask] of flips)
        if (m.length > 0) m[at % m.length] = (m[at % m.length] as number) ^ mask;
      return m;
    });
}
