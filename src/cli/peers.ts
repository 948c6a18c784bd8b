// `kith peers`: the overlay neighbours this node is linked to (docs/overlay-protocol.md
// "Behaviour": the links a node keeps, k per bucket in its table), closest to us first.
import type { Command } from 'commander';
import type { NeighbourInfo } from '../overlay/node.js';
import { request } from './control-client.js';
import { duration, table } from './format.js';
import { resolveSocket } from './socket.js';

/** The `peers` control command's reply (service/commands.ts). */
export interface PeersReply {
  id: string;
  peers: NeighbourInfo[];
}

/** Hex digits of an ID a person needs to tell neighbours apart (as recentSetups shortens them). */
const SHORT_ID = 12;

/** The human form: a header with our ID and the count, then one row per neighbour in the service's order. */
export function describePeers(reply: PeersReply): string {
  if (reply.peers.length === 0) return `Overlay node ${reply.id}: no neighbours`;
  const inTable = reply.peers.filter((p) => p.inTable).length;
  const count = reply.peers.length;
  const header = `Overlay node ${reply.id}: ${count} neighbour${count === 1 ? '' : 's'} (${inTable} in table), closest first`;
  // The service sorts by XOR distance from us (Kademlia's order); re-sorting here would hide it.
  const rows = reply.peers.map((p) => [
    p.id.slice(0, SHORT_ID),
    p.endpoint,
    p.inTable ? 'yes' : 'no',
    [p.entry ? 'entry' : '', p.relay ? 'relay' : ''].filter(Boolean).join(',') || '-',
    p.rttMs === null ? '-' : `${p.rttMs.toFixed(1)} ms`,
    duration(Math.round(p.ageMs / 1000)),
    duration(Math.round(p.idleMs / 1000)),
  ]);
  return `${header}\n${table(['ID', 'ADDRESS', 'TABLE', 'FLAGS', 'RTT', 'AGE', 'IDLE'], rows)}`;
}

export function peersCommand(program: Command): void {
  program
    .command('peers')
    .description('list the overlay neighbours: ID, address, flags, round trip, age, idle time')
    .option('--json', 'print the neighbours as JSON, for scripts')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const reply = (await request(resolveSocket(cmd.optsWithGlobals()), 'peers')) as PeersReply;
      process.stdout.write(`${opts.json ? JSON.stringify(reply, null, 2) : describePeers(reply)}\n`);
    });
}
