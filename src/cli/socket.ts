// Where a client finds the service: --socket, then $KITH_SOCKET, then the runtime directory of
// the config file (--config, or /etc/kith/config.toml when it exists, else /run/kith).
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { SOCKET_FILE } from '../service/control-protocol.js';

export interface SocketOptions {
  socket?: string;
  config?: string;
}

export function resolveSocket(opts: SocketOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (opts.socket) return opts.socket;
  if (env.KITH_SOCKET) return env.KITH_SOCKET;
  return join(loadConfig({ path: opts.config }).config.paths.runtime_dir, SOCKET_FILE);
}
