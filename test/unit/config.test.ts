import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { isKithError, type KithError } from '../../src/errors.js';
import { tmpDir } from '../helpers/tmp.js';

function load(toml: string) {
  const path = join(tmpDir(), 'config.toml');
  writeFileSync(path, toml);
  return loadConfig({ path });
}

function loadError(toml: string): KithError {
  try {
    load(toml);
  } catch (err) {
    if (isKithError(err)) return err;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

describe('config', () => {
  it('gives a default for every key when the file is empty', () => {
    const { config, source } = load('');
    expect(source).toMatch(/config\.toml$/);
    expect(config).toEqual({
      device: { name: 'Kith', board: 'none' },
      paths: { data_dir: '/var/lib/kith', runtime_dir: '/run/kith' },
      network: { listen_address: '0.0.0.0', port: 4801, entry_peers: [], entry: false, pow_difficulty: 14 },
      audio: {
        driver: 'alsa',
        capture_device: 'default',
        playback_device: 'default',
        sim_input: '',
        sim_output: '',
        sample_rates: [16000],
        complexity: 5,
        max_bitrate: 32000,
      },
      log: { level: 'info' },
      service: { stop_timeout_ms: 5000, max_event_loop_delay_ms: 2000 },
    });
  });

  it('reads every key from a full file', () => {
    const { config } = load(`
[device]
name = "Ada’s Kith"
[paths]
data_dir = "/srv/kith"
runtime_dir = "/run/k"
[network]
listen_address = "::1"
port = 0
entry_peers = ["203.0.113.7:4801", "[2001:db8::7]:4801"]
entry = true
relay = false
pow_difficulty = 20
[log]
level = "debug"
[service]
stop_timeout_ms = 1000
max_event_loop_delay_ms = 500
`);
    expect(config.device.name).toBe('Ada’s Kith');
    expect(config.paths).toEqual({ data_dir: '/srv/kith', runtime_dir: '/run/k' });
    expect(config.network).toEqual({
      listen_address: '::1',
      port: 0,
      entry_peers: ['203.0.113.7:4801', '[2001:db8::7]:4801'],
      entry: true,
      relay: false,
      pow_difficulty: 20,
    });
    expect(config.log.level).toBe('debug');
    expect(config.service).toEqual({ stop_timeout_ms: 1000, max_event_loop_delay_ms: 500 });
  });

  it('uses built-in defaults when the default path is absent, but not when a named file is missing', () => {
    // The default path (/etc/kith/config.toml) does not exist on a test machine.
    expect(loadConfig({}).source).toBeNull();
    const missing = join(tmpDir(), 'nope.toml');
    expect(() => loadConfig({ path: missing })).toThrow(
      expect.objectContaining({ code: 'CONFIG_NOT_FOUND', message: `config file ${missing} does not exist` }),
    );
  });

  it('lets command-line directories win over the file, resolved against the working directory', () => {
    const path = join(tmpDir(), 'c.toml');
    writeFileSync(path, '[paths]\ndata_dir = "/a"\nruntime_dir = "/b"\n');
    const { config } = loadConfig({ path, dataDir: 'rel/data', runtimeDir: '/abs/run' });
    expect(config.paths.data_dir).toBe(join(process.cwd(), 'rel/data'));
    expect(config.paths.runtime_dir).toBe('/abs/run');
  });

  // Each kind of invalid value, with the message a person gets: the key, the value, what is allowed.
  const cases: [string, string, string][] = [
    [
      'unknown top-level key',
      'devcie = 1',
      'unknown key "devcie" in the top level; allowed: device, paths, network, audio, log, service',
    ],
    [
      'address that is not an IP',
      '[network]\nlisten_address = "localhost"',
      'network.listen_address = "localhost": must be an IPv4 or IPv6 address',
    ],
    ['port out of range', '[network]\nport = 70000', 'network.port = 70000: must be at most 65535'],
    [
      'entry peer given by name',
      '[network]\nentry_peers = ["entry.example:4801"]',
      'network.entry_peers.0 = "entry.example:4801": must be IPV4:PORT or [IPV6]:PORT (addresses, not names)',
    ],
    [
      'proof of work too easy',
      '[network]\npow_difficulty = 4',
      'network.pow_difficulty = 4: must be at least 8',
    ],
    [
      'sample rate not offered',
      '[audio]\nsample_rates = [8000]',
      'audio.sample_rates.0 = 8000: must be one of 16000, 48000',
    ],
    ['complexity out of range', '[audio]\ncomplexity = 11', 'audio.complexity = 11: must be at most 10'],
    ['unknown audio driver', '[audio]\ndriver = "oss"', 'audio.driver = "oss": must be one of "alsa", "sim"'],
    ['unknown key in a table', '[log]\nlevle = "info"', 'unknown key "levle" in [log]; allowed: level'],
    [
      'value outside an enum',
      '[log]\nlevel = "loud"',
      'log.level = "loud": must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    ],
    [
      'number below the minimum',
      '[service]\nstop_timeout_ms = 10',
      'service.stop_timeout_ms = 10: must be at least 500',
    ],
    [
      'number above the maximum',
      '[service]\nstop_timeout_ms = 999999',
      'service.stop_timeout_ms = 999999: must be at most 60000',
    ],
    [
      'fraction where an integer belongs',
      '[service]\nstop_timeout_ms = 1.5',
      'service.stop_timeout_ms = 1.5: must be a whole number',
    ],
    [
      'string where a number belongs',
      '[service]\nstop_timeout_ms = "5000"',
      'service.stop_timeout_ms = "5000": must be a number',
    ],
    ['number where a string belongs', '[device]\nname = 7', 'device.name = 7: must be a string'],
    ['value where a table belongs', 'log = "info"', 'log = "info": must be a table'],
    ['relative path', '[paths]\ndata_dir = "data"', 'paths.data_dir = "data": must be an absolute path'],
    ['empty path', '[paths]\nruntime_dir = ""', 'paths.runtime_dir = "": must be at least 1 characters'],
    ['empty name', '[device]\nname = ""', 'device.name = "": must not be empty'],
    [
      'name with edge spaces',
      '[device]\nname = " Ada"',
      'device.name = " Ada": must not start or end with spaces',
    ],
    ['name with a control character', '[device]\nname = "A\\u0007da"', 'must not contain control characters'],
    ['name too long', `[device]\nname = "${'x'.repeat(33)}"`, 'must be at most 32 characters'],
    ['date where a number belongs', '[service]\nstop_timeout_ms = 1979-05-27', 'must be a number'],
  ];

  it.each(cases)('rejects a %s with a specific message', (_kind, toml, message) => {
    const err = loadError(toml);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(message);
    expect(err.message).toMatch(/^invalid config in \/tmp\/.*config\.toml:/);
  });

  it('lists every problem of a file at once', () => {
    const err = loadError('[log]\nlevel = "x"\n[service]\nstop_timeout_ms = 1');
    expect(err.message.split('\n')).toHaveLength(3);
  });

  it('reports a TOML syntax error with its line and column', () => {
    const err = loadError('[log]\nlevel = "info\n');
    expect(err.code).toBe('CONFIG_SYNTAX');
    expect(err.message).toMatch(/config\.toml, line 2, column \d+:/);
  });

  it('reports an unreadable file', () => {
    const dir = tmpDir();
    expect(() => loadConfig({ path: dir })).toThrow(expect.objectContaining({ code: 'CONFIG_UNREADABLE' }));
  });
});
