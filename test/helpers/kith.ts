// Runs the compiled `kith` as a real process, the way a person or systemd would: `startKith` for
// the service, `kith` for one client command. Every wait is bounded.
import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from '../../src/cli/control-client.js';

export const KITH_ENTRY = resolve('dist/src/cli/main.js');

export interface KithResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs one `kith` command to completion (bounded), optionally feeding stdin. */
export function kith(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<KithResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [KITH_ENTRY, ...args], {
      env: { ...cleanEnv(), ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`kith ${args.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`),
      );
    }, opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface RunningKith {
  proc: ChildProcess;
  socket: string;
  dataDir: string;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  /** The UDP endpoint it listens on, as "127.0.0.1:PORT". */
  udp: string;
  stderr: () => string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGTERM and waits (bounded) for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Writes `dir`/kith.toml: UDP on 127.0.0.1, a port the system picks, plus `extra` TOML. */
export function testConfig(dir: string, extra = ''): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'kith.toml');
  writeFileSync(path, `${extra}\n[network]\nlisten_address = "127.0.0.1"\nport = 0\n`);
  return path;
}

/**
 * Starts `kith run` and resolves once it logs "kith ready" (or rejects if it exits first). Its
 * config binds UDP to 127.0.0.1 on a port the system picks (tests send only to loopback), plus
 * any `config` TOML given.
 */
export function startKith(
  dir: string,
  opts: { env?: NodeJS.ProcessEnv; args?: string[]; timeoutMs?: number; config?: string } = {},
): Promise<RunningKith> {
  return launch({ spawn }, dir, testConfig(dir, opts.config), opts);
}

/** The environment without anything that would point `kith` at a real system service. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  delete env.KITH_SOCKET;
  return env;
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(message)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        res(v);
      },
      (e) => {
        clearTimeout(timer);
        rej(e);
      },
    );
  });
}

/** Anything that starts a process somewhere: a host of the NAT bed (test/helpers/netns.ts) runs it in its namespace. */
export interface Spawner {
  spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
}

/**
 * Starts `kith run` through `where` with `config` as its whole config file (`dir`/kith.toml), so
 * the caller decides every address (a namespace's own address, a fixed port, entry peers), and
 * resolves once it logs "kith ready". Data and control socket live under `dir` as with
 * startKith; the socket is a file, so the test process reaches it from its own namespace.
 * `args` follow `run`, e.g. `--entry`.
 */
export function startKithIn(
  where: Spawner,
  dir: string,
  config: string,
  opts: { args?: string[]; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunningKith> {
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'kith.toml');
  writeFileSync(configPath, config);
  return launch(where, dir, configPath, opts);
}

/** Spawns `kith run` with `configPath` through `where` and resolves once it logs "kith ready". */
function launch(
  where: Spawner,
  dir: string,
  configPath: string,
  opts: { args?: string[]; timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<RunningKith> {
  const dataDir = join(dir, 'data');
  const runtimeDir = join(dir, 'run');
  const proc = where.spawn(
    process.execPath,
    [
      KITH_ENTRY,
      'run',
      '--config',
      configPath,
      '--data-dir',
      dataDir,
      '--runtime-dir',
      runtimeDir,
      ...(opts.args ?? []),
    ],
    { env: { ...cleanEnv(), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  proc.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.on('exit', (code, signal) => res({ code, signal })),
  );
  const running: RunningKith = {
    proc,
    socket: join(runtimeDir, 'control.sock'),
    dataDir,
    logs,
    udp: '',
    stderr: () => stderr,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return withTimeout(exited, 15_000, 'kith run did not stop after SIGTERM');
    },
  };
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`kith run in ${dir} not ready in time; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { msg: line, unparsed: true };
      }
      logs.push(entry);
      if (entry.msg === 'kith ready') {
        running.udp = String(entry.udp);
        clearTimeout(timer);
        res(running);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(
        new Error(
          `kith run in ${dir} exited (code ${code}, signal ${signal}) before ready; stderr: ${stderr}`,
        ),
      );
    });
  });
}

/**
 * One control-socket request straight from the test process (what `kith status --json` and the
 * call commands send): no process to start, so a poll costs milliseconds, not a Node start-up.
 */
export function control(
  device: { socket: string },
  cmd: string,
  args: Record<string, unknown> = {},
): Promise<unknown> {
  return request(device.socket, cmd, args);
}

/**
 * A whole config file for startKithIn on a host of its own: UDP on `address`:`port`, joining the
 * overlay through `entryPeer` (none for an entry node), and the sim audio driver, its microphone
 * `simInput` (none: the sim's tone) and its recording `simOutput`.
 */
export function overlayConfig(o: {
  name: string;
  address: string;
  port: number;
  entryPeer?: string;
  simInput?: string;
  simOutput?: string;
}): string {
  return [
    '[device]',
    `name = ${JSON.stringify(o.name)}`,
    '[network]',
    `listen_address = "${o.address}"`,
    `port = ${o.port}`,
    ...(o.entryPeer ? [`entry_peers = ["${o.entryPeer}"]`] : []),
    '[audio]',
    'driver = "sim"',
    ...(o.simInput ? [`sim_input = ${JSON.stringify(o.simInput)}`] : []),
    ...(o.simOutput ? [`sim_output = ${JSON.stringify(o.simOutput)}`] : []),
    '',
  ].join('\n');
}
