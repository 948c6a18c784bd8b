// `kith status`: what the running service is, who it is, and whether it is well.
import type { Command } from 'commander';
import { describeCall } from './call.js';
import { request } from './control-client.js';
import { duration, fields, table } from './format.js';
import { resolveSocket } from './socket.js';

interface Status {
  version: string;
  pid: number;
  uptimeSeconds: number;
  identity: { name: string; fingerprint: string };
  store: { dataDir: string; schemaVersion: number; contacts: number; corruptContacts: number };
  health: { ok: boolean; reason: string | null; eventLoopDelayMs: number };
  previousRunUnclean: boolean;
  config: string;
  network: { udp: string };
  call: Parameters<typeof describeCall>[0];
  channels: {
    open: {
      name: string;
      endpoint: string | null;
      state: string;
      sessionAgeMs: number | null;
      rttMs: number | null;
      packetsSent: number;
      packetsReceived: number;
      drops: Record<string, number>;
    }[];
    drops: Record<string, number>;
  };
}

export function statusCommand(program: Command): void {
  program
    .command('status')
    .description('show the running service: identity fingerprint, version, uptime, store counts, health')
    .option('--json', 'print the status as JSON, for scripts')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const status = (await request(resolveSocket(cmd.optsWithGlobals()), 'status')) as Status;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        return;
      }
      const contacts =
        `${status.store.contacts}` +
        (status.store.corruptContacts ? ` (+${status.store.corruptContacts} corrupt)` : '');
      const pairs: [string, string][] = [
        ['Kith', `${status.version}, running for ${duration(status.uptimeSeconds)} (pid ${status.pid})`],
        ['Name', status.identity.name],
        ['Fingerprint', status.identity.fingerprint],
        ['Contacts', contacts],
        ['Data', `${status.store.dataDir} (schema ${status.store.schemaVersion})`],
        ['Config', status.config],
        [
          'Health',
          status.health.ok
            ? `ok (event loop delay ${status.health.eventLoopDelayMs} ms)`
            : `FAILING: ${status.health.reason}`,
        ],
      ];
      pairs.push(['UDP', status.network.udp]);
      pairs.push(['Call', describeCall(status.call)]);
      const drops = Object.entries(status.channels.drops);
      if (drops.length > 0) pairs.push(['Dropped', drops.map(([reason, n]) => `${reason} ${n}`).join(', ')]);
      if (status.previousRunUnclean) pairs.push(['Note', 'the previous run did not stop cleanly']);
      process.stdout.write(`${fields(pairs)}\n`);
      if (status.channels.open.length > 0) {
        const rows = status.channels.open.map((c) => [
          c.name,
          c.endpoint ?? '-',
          c.state,
          c.sessionAgeMs === null ? '-' : duration(Math.round(c.sessionAgeMs / 1000)),
          c.rttMs === null ? '-' : `${c.rttMs.toFixed(1)} ms`,
          `${c.packetsReceived}/${c.packetsSent}`,
          Object.entries(c.drops)
            .map(([reason, n]) => `${reason} ${n}`)
            .join(', ') || '-',
        ]);
        process.stdout.write(
          `\n${table(['CHANNEL', 'ADDRESS', 'STATE', 'AGE', 'RTT', 'IN/OUT', 'DROPS'], rows)}\n`,
        );
      }
    });
}
