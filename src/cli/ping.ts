// `kith ping`: opens (or reuses) the encrypted channel to a contact and measures the round trip
// over it, which proves both devices hold each other's keys and can reach each other.
import type { Command } from 'commander';
import { KithError } from '../errors.js';
import { request } from './control-client.js';
import { resolveSocket } from './socket.js';

interface PingResult {
  name: string;
  endpoint: string | null;
  handshakeMs: number | null;
  rttMs: number;
}

export function pingCommand(program: Command): void {
  program
    .command('ping')
    .description('handshake with a contact over the encrypted channel and measure the round trip')
    .argument('<contact>', 'contact name, or at least 4 hex digits of its fingerprint')
    .option('-n, --count <n>', 'number of pings (1-100)', '1')
    .option('--json', 'print JSON, for scripts')
    .action(async (query: string, opts: { count: string; json?: boolean }, cmd: Command) => {
      const count = Number(opts.count);
      if (!Number.isInteger(count) || count < 1 || count > 100) {
        throw new KithError('CLI_USAGE', `--count must be a whole number from 1 to 100, got "${opts.count}"`);
      }
      const socket = resolveSocket(cmd.optsWithGlobals());
      const results: PingResult[] = [];
      for (let i = 0; i < count; i++) {
        const r = (await request(socket, 'ping', { query })) as PingResult;
        results.push(r);
        if (opts.json) continue;
        if (r.handshakeMs !== null) {
          process.stdout.write(`handshake with ${r.name} at ${r.endpoint}: ${r.handshakeMs.toFixed(1)} ms\n`);
        }
        process.stdout.write(`reply from ${r.name} at ${r.endpoint}: rtt ${r.rttMs.toFixed(2)} ms\n`);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    });
}
