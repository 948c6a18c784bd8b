// `kith call`, `kith answer`, `kith hangup`, `kith reject` and `kith calls`: the same call
// actions the device's buttons will give, over the control socket.
import type { Command } from 'commander';
import { request } from './control-client.js';
import { duration, table } from './format.js';
import { resolveSocket } from './socket.js';

interface LiveCall {
  state: string;
  contact?: string;
  direction?: string;
  peerRinging?: boolean;
  durationSeconds?: number;
  endReason?: string | null;
  sampleRate?: number | null;
  metrics?: {
    rttMs: number | null;
    networkLossPercent: number;
    residualLossPercent: number;
    jitterMs: number;
    jitterBufferDelayMs: number;
    concealedFrames: number;
    mouthToEarMs: number;
    mos: number;
    bitrateBps: number;
    redundancy: number;
  } | null;
}

interface PastCall {
  id: string;
  contact: string;
  direction: string;
  startedAt: string;
  durationSeconds: number;
  endReason: string;
  metrics: { mos?: number; oneWayDelayMs?: number; lossBeforeRecovery?: number } | null;
}

/** One line for a call in progress, as `kith status` and the call commands print it. */
export function describeCall(c: LiveCall): string {
  if (c.state === 'idle' || !c.contact) return 'no call';
  const who = c.direction === 'outgoing' ? `to ${c.contact}` : `from ${c.contact}`;
  switch (c.state) {
    case 'calling':
      return `calling ${c.contact}${c.peerRinging ? ' (ringing)' : ''}`;
    case 'ringing':
      return `${c.contact} is calling: \`kith answer\` or \`kith reject\``;
    case 'active': {
      const m = c.metrics;
      const quality = m
        ? `, MOS ${m.mos.toFixed(1)}, ~${Math.round(m.mouthToEarMs)} ms mouth to ear, ` +
          `loss ${m.networkLossPercent}% (${m.residualLossPercent}% after recovery), ` +
          `jitter ${m.jitterMs} ms, ${Math.round(m.bitrateBps / 1000)} kbit/s`
        : '';
      return `in a call ${who}, ${duration(c.durationSeconds ?? 0)}${quality}`;
    }
    default:
      return `ending the call ${who} (${c.endReason ?? 'ended'})`;
  }
}

export function callCommands(program: Command): void {
  const action = (name: string) => async (_opts: object, cmd: Command) => {
    const live = (await request(resolveSocket(cmd.optsWithGlobals()), name)) as LiveCall;
    process.stdout.write(`${describeCall(live)}\n`);
  };

  program
    .command('call')
    .description('call a contact over the encrypted channel')
    .argument('<contact>', 'contact name, or at least 4 hex digits of its fingerprint')
    .action(async (query: string, _opts: object, cmd: Command) => {
      const live = (await request(resolveSocket(cmd.optsWithGlobals()), 'call.start', { query })) as LiveCall;
      process.stdout.write(`${describeCall(live)}\n`);
    });
  program.command('answer').description('answer the incoming call').action(action('call.answer'));
  program.command('reject').description('decline the incoming call').action(action('call.reject'));
  program
    .command('hangup')
    .description('end the call (or stop calling, or decline a ringing call)')
    .action(action('call.hangup'));

  program
    .command('calls')
    .description('list past calls, newest first, with how they ended and how they sounded')
    .option('-n, --limit <n>', 'how many (1-1000)', '20')
    .option('--json', 'print JSON, for scripts')
    .action(async (opts: { limit: string; json?: boolean }, cmd: Command) => {
      const limit = Number(opts.limit);
      const result = (await request(resolveSocket(cmd.optsWithGlobals()), 'calls.list', { limit })) as {
        calls: PastCall[];
        corruptIds: number[];
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      if (result.calls.length === 0) process.stdout.write('No calls yet.\n');
      else {
        const rows = result.calls.map((c) => [
          c.startedAt.replace('T', ' ').slice(0, 16),
          c.direction === 'outgoing' ? `to ${c.contact}` : `from ${c.contact}`,
          duration(c.durationSeconds),
          c.endReason,
          c.metrics?.mos === undefined ? '-' : c.metrics.mos.toFixed(1),
        ]);
        process.stdout.write(`${table(['WHEN', 'WHO', 'LENGTH', 'ENDED', 'MOS'], rows)}\n`);
      }
      if (result.corruptIds.length > 0) {
        process.stderr.write(`warning: ${result.corruptIds.length} corrupt call row(s) skipped\n`);
      }
    });
}
