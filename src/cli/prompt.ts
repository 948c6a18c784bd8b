// Asking a person to confirm. Reads one line from stdin even when it is not a terminal, so a
// script can pipe "y"; end of input counts as "no". `--yes` skips the question entirely.
import { createInterface } from 'node:readline';
import { KithError } from '../errors.js';

export async function confirm(question: string, abortMessage: string): Promise<void> {
  const rl = createInterface({
    input: process.stdin,
    output: process.stderr,
    terminal: process.stdin.isTTY === true,
  });
  const answer = await new Promise<string | null>((resolve) => {
    let done = false;
    rl.question(`${question} [y/N] `, (a) => {
      done = true;
      resolve(a);
    });
    rl.once('close', () => {
      if (!done) resolve(null);
    });
  });
  rl.close();
  if (answer === null || !/^y(es)?$/i.test(answer.trim())) {
    if (answer === null) process.stderr.write('\n');
    throw new KithError('CLI_ABORTED', abortMessage);
  }
}
