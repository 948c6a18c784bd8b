// `kith sim`: the simulator (what `npm start` runs): virtual devices that can call each other and
// a web front panel to use them, on this machine only (127.0.0.1).
import type { Command } from 'commander';
import { KithError } from '../errors.js';
import { startSimulator } from '../sim/simulator.js';

export function simCommand(program: Command): void {
  program
    .command('sim')
    .description('run virtual devices and their web front panel on 127.0.0.1 (what `npm start` runs)')
    .option('-n, --devices <n>', 'how many devices (2-8)', '2')
    .option('-p, --port <port>', 'web panel port (0: any free port)', '8480')
    .option('--data-dir <dir>', 'where the devices keep their data', '.kith-sim')
    .option('--speech <file.wav>', 'a WAV file each device speaks into calls (default: a tone)')
    .action(async (opts: { devices: string; port: string; dataDir: string; speech?: string }) => {
      const devices = Number(opts.devices);
      const port = Number(opts.port);
      if (!Number.isInteger(devices) || devices < 2 || devices > 8) {
        throw new KithError(
          'CLI_USAGE',
          `--devices must be a whole number from 2 to 8, got "${opts.devices}"`,
        );
      }
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        throw new KithError('CLI_USAGE', `--port must be 0-65535, got "${opts.port}"`);
      }
      const sim = await startSimulator({ devices, port, root: opts.dataDir, speech: opts.speech });
      process.stdout.write(
        [
          `Kith simulator: ${sim.devices.map((d) => d.name).join(', ')}`,
          `Front panel: ${sim.url}`,
          'Each device is a full service; its `kith` socket is in <data-dir>/<name>/run/control.sock.',
          'Ctrl-C stops everything.',
          '',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          sim.stop().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
