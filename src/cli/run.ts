// `kith run`: the service itself (what systemd starts), in the foreground.
import type { Command } from 'commander';
import { runUntilSignal } from '../main.js';

interface RunOpts {
  config?: string;
  dataDir?: string;
  runtimeDir?: string;
  audioIn?: string;
  audioOut?: string;
  board?: string;
  entry?: boolean;
  entryPeer?: string[];
}

export function runCommand(program: Command): void {
  program
    .command('run')
    .description('run the Kith service in the foreground (systemd starts it this way)')
    .option('--data-dir <dir>', 'database and storage key directory (default: paths.data_dir, /var/lib/kith)')
    .option('--runtime-dir <dir>', 'control socket directory (default: paths.runtime_dir, /run/kith)')
    .option('--audio-in <file.wav>', 'sim audio: this WAV file is the microphone during calls')
    .option('--audio-out <file.wav>', 'sim audio: write what the other side says to this WAV file')
    .option('--board <name>', 'board profile: nanopi-neo-air, raspberry-pi, sim, none, or a profile file')
    .option('--entry', 'be an overlay entry peer: others join through this node, and it relays for them')
    .option(
      '--entry-peer <host:port>',
      'join the overlay through this entry peer (repeatable; over network.entry_peers)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (_opts: RunOpts, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RunOpts>();
      process.exitCode = await runUntilSignal({
        path: opts.config,
        dataDir: opts.dataDir,
        runtimeDir: opts.runtimeDir,
        audioIn: opts.audioIn,
        audioOut: opts.audioOut,
        board: opts.board,
        entry: opts.entry,
        entryPeers: opts.entryPeer,
      });
    });
}
