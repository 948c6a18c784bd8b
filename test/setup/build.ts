// Integration suites run the compiled `kith` (dist/), exactly what ships; build it once before any
// suite starts so a test never runs a stale build. A type error fails the whole run here.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {
    stdio: 'inherit',
  });
}
