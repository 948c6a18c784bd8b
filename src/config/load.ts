// Loading the config: TOML text -> schema -> a Config, or one KithError whose message names the
// file, each bad key, the value found and what is allowed (DESIGN §2 "Config", §7).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { errorMessage, KithError } from '../errors.js';
import { parseEndpoint } from '../net/transport.js';
import { explainIssues } from './explain.js';
import { type Config, configSchema } from './schema.js';

export const DEFAULT_CONFIG_PATH = '/etc/kith/config.toml';

export interface LoadOptions {
  /** A path given on the command line must exist; the default path may be absent. */
  path?: string | undefined;
  dataDir?: string | undefined;
  runtimeDir?: string | undefined;
  /** `--audio-in` / `--audio-out`: the sim audio driver with these WAV files. */
  audioIn?: string | undefined;
  audioOut?: string | undefined;
  /** `--board NAME`: the board profile, over the config's device.board. */
  board?: string | undefined;
  /** `--entry`: run as an overlay entry peer. */
  entry?: boolean | undefined;
  /** `--entry-peer HOST:PORT` (repeatable): join through these, over the config's list. */
  entryPeers?: string[] | undefined;
}

export interface LoadedConfig {
  config: Config;
  /** The file read, or null when built-in defaults were used. */
  source: string | null;
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const explicit = opts.path !== undefined;
  const path = resolve(opts.path ?? DEFAULT_CONFIG_PATH);
  let text: string | null;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) text = null;
    else if (code === 'ENOENT') throw new KithError('CONFIG_NOT_FOUND', `config file ${path} does not exist`);
    else throw new KithError('CONFIG_UNREADABLE', `config file ${path} cannot be read: ${code ?? err}`);
  }
  const raw = text === null ? {} : parseText(text, path);
  const config = validate(raw, text === null ? 'built-in defaults' : path);
  // Command-line paths win over the file; they are resolved against the working directory.
  if (opts.dataDir !== undefined) config.paths.data_dir = resolve(opts.dataDir);
  if (opts.runtimeDir !== undefined) config.paths.runtime_dir = resolve(opts.runtimeDir);
  if (opts.board !== undefined) config.device.board = opts.board;
  if (opts.entry) config.network.entry = true;
  if (opts.entryPeers !== undefined && opts.entryPeers.length > 0) {
    config.network.entry_peers = opts.entryPeers.map((text) => {
      try {
        parseEndpoint(text);
        return text;
      } catch (err) {
        throw new KithError('CONFIG_INVALID', `--entry-peer ${errorMessage(err)}`);
      }
    });
  }
  if (opts.audioIn !== undefined || opts.audioOut !== undefined) {
    config.audio.driver = 'sim';
    if (opts.audioIn !== undefined) config.audio.sim_input = resolve(opts.audioIn);
    if (opts.audioOut !== undefined) config.audio.sim_output = resolve(opts.audioOut);
  }
  return { config, source: text === null ? null : path };
}

export function parseText(text: string, path: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0];
      throw new KithError(
        'CONFIG_SYNTAX',
        `config file ${path}, line ${err.line}, column ${err.column}: ${first}\n${err.codeblock}`,
      );
    }
    throw err;
  }
}

export function validate(raw: unknown, source: string): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = explainIssues(result.error.issues, raw, {
    objectNoun: 'table',
    listNoun: 'array',
    allowedKeys,
  });
  throw new KithError('CONFIG_INVALID', `invalid config in ${source}:\n  ${lines.join('\n  ')}`);
}

function allowedKeys(path: PropertyKey[]): string[] {
  // Walk the schema's shape along the path: the error then lists exactly the keys of that table.
  let shape: Record<string, unknown> = configSchema.shape;
  for (const part of path) {
    const next = unwrap(shape[String(part)]);
    if (!next) return [];
    shape = next;
  }
  return Object.keys(shape);
}

function unwrap(schema: unknown): Record<string, unknown> | null {
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown } } | undefined;
  for (let i = 0; s && i < 4; i++) {
    if (s.shape) return s.shape;
    s = s.def?.innerType as typeof s;
  }
  return null;
}
