// The `kith` command line (DESIGN §2): `run` is the service; every other command is a client of its
// control socket. Exit codes: 0 done, 1 failed, 2 the command line itself was wrong, 78 the config
// is invalid (sysexits' EX_CONFIG; the unit's RestartPreventExitStatus=78 stops a restart loop that
// could never succeed).
import { Command, CommanderError } from 'commander';
import { errorMessage, isKithError } from '../errors.js';
import { VERSION } from '../version.js';
import { callCommands } from './call.js';
import { cardCommand } from './card.js';
import { contactsCommand } from './contacts.js';
import { peersCommand } from './peers.js';
import { pingCommand } from './ping.js';
import { runCommand } from './run.js';
import { simCommand } from './sim.js';
import { statusCommand } from './status.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_CONFIG = 78;

export function buildProgram(): Command {
  const program = new Command('kith')
    .description('Kith: encrypted peer-to-peer voice calls between devices paired in person')
    .version(VERSION, '-V, --version')
    .option('-c, --config <file>', 'config file (default: /etc/kith/config.toml if it exists)')
    .option(
      '-s, --socket <path>',
      'control socket of the service to talk to (default: $KITH_SOCKET, else from the config)',
    )
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true });
  runCommand(program);
  statusCommand(program);
  peersCommand(program);
  contactsCommand(program);
  cardCommand(program);
  pingCommand(program);
  callCommands(program);
  simCommand(program);
  // Every (sub)command throws instead of exiting, so one place decides exit codes.
  const override = (cmd: Command) => {
    cmd.exitOverride();
    for (const sub of cmd.commands) override(sub);
  };
  override(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are requested, not errors; commander already printed the message.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    process.stderr.write(
      `kith: ${isKithError(err) ? err.message : `unexpected error: ${errorMessage(err)}`}\n`,
    );
    if (isKithError(err, 'CLI_USAGE')) return EXIT_USAGE;
    if (isKithError(err) && err.code.startsWith('CONFIG_')) return EXIT_CONFIG;
    return EXIT_FAILURE;
  }
}
