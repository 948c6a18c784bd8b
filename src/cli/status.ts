// `kith status`: what the running service is, who it is, and whether it is well, and where it
// stands in the overlay (docs/overlay-protocol.md "Behaviour": join, keepalive, limits).
import type { Command } from 'commander';
import type { NatBehaviour } from '../overlay/node.js';
import type { OverlayStatus } from '../service/overlay.js';
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
  overlay: OverlayStatus;
}

/** The value of `config` when the service runs without a config file (service/commands.ts). */
/** How many of the recent path setups a human wants to see. */
const SHOWN_SETUPS = 5;

const NAT_WORDS: Record<NatBehaviour, string> = {
  none: 'none',
  // RFC 4787 §4.1: one mapping for every destination is what lets both sides punch (§3 "INVITE").
  'endpoint-independent': 'endpoint-independent mapping (hole punching works)',
  'endpoint-dependent': 'endpoint-dependent (symmetric) mapping (calls may need a relay)',
  // One report can say "no NAT" but not which mapping a NAT uses: that takes two (node.ts).
  unknown: 'unknown until a second neighbour reports it',
};

/**
 * The overlay's lines of `kith status`. `baseDifficulty` is the PoW difficulty asked while calm
 * (null when unknown); the current minimum is shown only above it, i.e. under load (spec "Limits").
 */
export function overlayFields(o: OverlayStatus, baseDifficulty: number | null): [string, string][] {
  const out: [string, string][] = [['Overlay', describeMembership(o)]];
  if (o.observed === null) {
    out.push(['Public address', 'unknown (no neighbour has reported it yet)']);
  } else {
    out.push(['Public address', `${o.observed}, NAT: ${NAT_WORDS[o.nat]}`]);
  }
  const received = byCount(o.received);
  const total = received.reduce((sum, [, n]) => sum + n, 0);
  const detail = received.length > 0 ? ` (${received.map(([k, n]) => `${k} ${n}`).join(', ')})` : '';
  out.push(['Overlay packets', `${total} in${detail}, ${o.sent} out`]);
  const drops = byCount(o.drops);
  if (drops.length > 0) out.push(['Overlay drops', drops.map(([k, n]) => `${k} ${n}`).join(', ')]);
  if (baseDifficulty !== null && o.minDifficulty > baseDifficulty) {
    out.push(['PoW difficulty', `${o.minDifficulty} bits (raised under load from ${baseDifficulty})`]);
  }
  if (o.recentSetups.length > 0) {
    const newestFirst = o.recentSetups.slice(-SHOWN_SETUPS).reverse();
    out.push(['Path setups', newestFirst.map((s) => `${s.peer} ${s.via} ${s.ms} ms`).join(', ')]);
  }
  return out;
}

function describeMembership(o: OverlayStatus): string {
  const role = describeRole(o);
  const neighbours = `${plural(o.links, 'neighbour')} (${o.tableSize} in table)`;
  if (o.joined) return `joined, ${neighbours}${role}`;
  // Others may link to a node that has not joined (an entry peer is linked to, never links out).
  const linked = o.links > 0 ? `, ${neighbours}` : '';
  let why: string;
  if (o.entryPeers.length === 0) why = 'no entry peers configured';
  // The entry peer answered; the lookup of our own ID (spec "Join") has not finished.
  else if (o.links > 0) why = 'looking up our place';
  else why = 'no entry peer answered';
  return `not joined (${why})${linked}${role}`;
}

function describeRole(o: OverlayStatus): string {
  if (o.entry) return o.relaying ? ', entry peer' : ', entry peer (not relaying)';
  return o.relaying ? ', relay' : '';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Non-zero counts, largest first (ties by name, so the line is stable between runs). */
function byCount(counts: Partial<Record<string, number>>): [string, number][] {
  return Object.entries(counts)
    .filter((e): e is [string, number] => (e[1] ?? 0) > 0)
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b));
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
      pairs.push(...overlayFields(status.overlay, status.overlay.baseDifficulty));
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
