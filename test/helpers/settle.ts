// Waiting for a promise in virtual time: the clock advances in small steps and promise callbacks
// run between them, as they would between packets on a real socket. Bounded by `maxMs` of
// virtual time; the promise is returned as is (it may still be pending, or rejected).
import type { VirtualClock } from '../../src/sim/virtual-clock.js';

export async function settle<T>(
  clock: VirtualClock,
  promise: Promise<T>,
  maxMs: number,
  stepMs = 10,
): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let t = 0; t < maxMs && !done; t += stepMs) {
    clock.advance(stepMs);
    await new Promise((r) => setImmediate(r));
  }
  return promise;
}
