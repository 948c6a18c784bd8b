// How much proof of work a HELLO must carry (docs/overlay-protocol.md "Limits"): the base
// difficulty while calm, one more bit per doubling of the HELLO rate above the calm rate, so an
// attacker who floods pays twice the work for each doubling while honest joiners, who solve once
// per ±5 minutes, pay for one solution. Capped so a legitimate joiner can still get in.
import { MAX_DIFFICULTY } from './pow.js';

export function requiredDifficulty(base: number, helloRate: number, calmRate: number): number {
  if (helloRate <= calmRate) return base;
  return Math.min(MAX_DIFFICULTY, base + Math.ceil(Math.log2(helloRate / calmRate)));
}
