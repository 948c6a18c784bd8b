// `kith run`: the service itself (what systemd starts), and `kith dev`: the same on a development
// data directory in the checkout, for `npm start`.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { runUntilSignal } from '../main.js';
import { SOCKET_FILE } from '../service/control-protocol.js';

interface RunOpts {
  config?: string;
  dataDir?: string;
  runtimeDir?: string;
  audioIn?: string;
  audioOut?: string;
  board?: string;
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
    .action(async (_opts: RunOpts, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RunOpts>();
      process.exitCode = await runUntilSignal({
        path: opts.config,
        dataDir: opts.dataDir,
        runtimeDir: opts.runtimeDir,
        audioIn: opts.audioIn,
        audioOut: opts.audioOut,
        board: opts.board,
      });
    });

  program
    .command('dev', { hidden: true })
    .description('run a development service on ./.kith-dev (what `npm start` does)')
    .action(async (_opts: RunOpts, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RunOpts>();
      const dataDir = resolve('.kith-dev');
      const runtimeDir = join(dataDir, 'run');
      process.stderr.write(
        [
          `Kith development service on ${dataDir} (Ctrl-C stops it).`,
          'Talk to it from another terminal in this directory:',
          `  export KITH_SOCKET=${join(runtimeDir, SOCKET_FILE)}`,
          '  npx kith status',
          '  npx kith card export',
          '',
        ].join('\n'),
      );
      // A laptop has no headset: calls use the sim audio (a tone in, the peer's voice to a file).
      process.exitCode = await runUntilSignal({
        path: opts.config,
        dataDir,
        runtimeDir,
        audioOut: join(dataDir, 'received.wav'),
      });
    });
}
