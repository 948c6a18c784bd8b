// Entry point of the `kith` executable (bin/kith.js imports this file).
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
