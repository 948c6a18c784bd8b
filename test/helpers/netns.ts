// A test bed of real NATs made of Linux network namespaces (root only), for the overlay's NAT suite:
// PUNCH and the relay fallback (docs/overlay-protocol.md "Behaviour", INVITE and Relay; DESIGN §3
// "Overlay (DRP)") meet the kernel's own NAT here instead of a model of it. Masquerade as seen on
// this machine is described in FIELD-NOTES.md "Network namespaces"; the NAT kinds are RFC 4787's
// mapping and filtering behaviours.
//
// Layout: the "public internet" is a bridge inside a namespace of its own, 203.0.113.0/24 (RFC 5737
// TEST-NET-3). Every public host and every site router hangs off it by a veth pair created straight
// into the two namespaces, so no interface ever appears in the machine's own namespace and nothing
// has a route to its real interfaces: the traffic cannot leave the machine.
import { type ChildProcess, spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export type NatKind = 'none' | 'cone' | 'port-restricted' | 'symmetric';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The exit status; -1 when the command could not start or was killed at its time limit. */
  code: number;
}

export interface Host {
  ns: string;
  address: string;
  /** Spawns a command inside the namespace (ip netns exec); the process is killed on destroy. */
  spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
  /** Runs a command inside the namespace to completion (killed after `timeoutMs`). */
  exec(cmd: string, args: string[], timeoutMs?: number): Promise<ExecResult>;
}

export interface Site {
  /** The router's namespace. */
  router: string;
  /** The router's address on the public segment: the source public hosts see behind a NAT. */
  publicAddress: string;
  hosts: Host[];
}

export interface Bed {
  /** Every namespace of this bed is named `${id}-...`: a random tag, so parallel runs cannot collide. */
  readonly id: string;
  /** A namespace on the public segment (203.0.113.0/24) with a public address. */
  publicHost(name: string): Promise<Host>;
  /**
   * A site: a router namespace with a public address doing NAT of `kind` for a private LAN
   * 10.N.0.0/24 (router 10.N.0.1, hosts from 10.N.0.2). With 'none' the router only routes, and the
   * public segment gets a route to the LAN, so the hosts' own addresses are public.
   */
  site(name: string, kind: NatKind, hosts: number): Promise<Site>;
  /** Kills what the hosts spawned and removes every namespace (and so every veth) of the bed, even
   *  after a failure half way through building something; idempotent. */
  destroy(): Promise<void>;
}

/**
 * The pairs of NAT kinds (unordered, same-kind pairs included) and whether UDP hole punching opens
 * a path between them when both sides punch at once and each answers a probe on the path it came
 * by (docs/overlay-protocol.md PUNCH). Only a symmetric NAT facing a filtering one stays shut: its
 * fresh port per destination (RFC 4787 §4.1) is one the other side never sent to, so the other
 * NAT's filter (§5) drops it, and the symmetric side drops the other's probes likewise.
 * netns-bed.test.ts observes exactly this matrix with a probe of its own.
 */
export const PUNCH_MATRIX: readonly (readonly [NatKind, NatKind, boolean])[] = [
  ['cone', 'cone', true],
  ['cone', 'port-restricted', true],
  ['port-restricted', 'port-restricted', true],
  ['cone', 'symmetric', true],
  ['port-restricted', 'symmetric', false],
  ['symmetric', 'symmetric', false],
];

const PUBLIC_NET = '203.0.113';
/** Linux interface names are at most 15 characters (IFNAMSIZ 16); namespace names are kept as short. */
const MAX_NAME = 15;
const COMMAND_TIMEOUT_MS = 10_000;
/** The port range symmetric NATs pick from (FIELD-NOTES: this range with fully-random gave a new port per destination). */
const SYMMETRIC_PORTS = '20000-60000';

/** Runs a command to completion; never rejects (the code says what happened). */
function run(
  cmd: string,
  args: string[],
  input?: string,
  timeoutMs = COMMAND_TIMEOUT_MS,
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: stderr + e.message, code: -1 });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? -1 });
    });
    child.stdin.on('error', () => {}); // a command that exits without reading its input
    child.stdin.end(input ?? '');
  });
}

async function must(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) {
    const shown = input ? `${args.join(' ')} <<\n${input}` : args.join(' ');
    throw new Error(`${cmd} ${shown} failed (${r.code}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** Several `ip` commands in one process (`ip -batch`), inside namespace `ns`. */
function ipBatch(ns: string, lines: string[]): Promise<string> {
  return must('ip', ['-n', ns, '-batch', '-'], lines.join('\n') + '\n');
}

/** Namespace names as `ip netns list` prints them ("name (id: 3)" or just "name"). */
function listNamespaces(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/** The router's nftables ruleset for a NAT of `kind` between its interfaces `lan` and `wan`. */
function natRuleset(kind: NatKind): string {
  const cone = kind === 'cone';
  const masquerade =
    kind === 'none'
      ? []
      : kind === 'symmetric'
        ? [
            // A fresh random port for every new conntrack entry, i.e. every destination: symmetric.
            // A port range needs a protocol with ports; anything else is masqueraded plainly.
            `oifname "wan" meta l4proto { tcp, udp } masquerade to :${SYMMETRIC_PORTS} fully-random`,
            'oifname "wan" masquerade',
          ]
        : // Plain masquerade keeps the source port when free, the same for every destination
          // (endpoint-independent mapping, RFC 4787 §4.1).
          ['oifname "wan" masquerade'];
  return [
    'table ip kith {',
    // Unsolicited inbound to the router itself is dropped before conntrack confirms an entry for it.
    // A confirmed entry (peer -> router:port) would take the tuple, so when the host then sent to
    // that peer the NAT would have to pick another port: a punch that arrived first would break the
    // mapping it was aimed at (seen: port-restricted x port-restricted punching fails without this
    // rule). Home routers drop WAN input the same way.
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    '    iifname "wan" ct state new drop',
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
    '    iifname "lan" accept',
    // Inbound only on an entry the host made by sending out: conntrack matches the whole 5-tuple,
    // so only the exact remote endpoint contacted gets in (port-restricted filtering, RFC 4787 §5).
    '    ct state established,related accept',
    ...(kind === 'none' ? ['    iifname "wan" accept'] : []),
    ...(cone ? ['    ct status dnat accept'] : []),
    '  }',
    ...(cone
      ? [
          // Endpoint-independent filtering (a full cone): every mapping made on the way out is
          // remembered (public port -> host address and port), and a new inbound flow to that public
          // port is sent to the host whoever it comes from. Each outbound packet refreshes the entry;
          // the timeout outlasts conntrack's UDP stream timeout, so it never ends before the mapping.
          '  map cone {',
          '    type inet_service : ipv4_addr . inet_service',
          '    flags dynamic, timeout',
          '    timeout 180s',
          '  }',
          '  chain prerouting {',
          '    type nat hook prerouting priority dstnat; policy accept;',
          '    iifname "wan" meta l4proto udp dnat ip to udp dport map @cone',
          '  }',
          // After srcnat the header carries the mapped port; conntrack still knows the original.
          '  chain record {',
          '    type filter hook postrouting priority srcnat + 10; policy accept;',
          '    oifname "wan" meta l4proto udp update @cone { udp sport : ct original ip saddr . ct original proto-src }',
          '  }',
        ]
      : []),
    ...(masquerade.length > 0
      ? [
          '  chain postrouting {',
          '    type nat hook postrouting priority srcnat; policy accept;',
          ...masquerade.map((rule) => `    ${rule}`),
          '  }',
        ]
      : []),
    '}',
    '',
  ].join('\n');
}

/**
 * Whether this machine can build a bed: root, `ip` and `nft` present, and a namespace can be made
 * and given the NAT rules the bed uses (a container without the netfilter modules fails here).
 */
export function netnsAvailable(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root' };
  for (const [cmd, args] of [
    ['ip', ['-V']],
    ['nft', ['--version']],
  ] as const) {
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
    if (r.error !== undefined || r.status !== 0) return { ok: false, reason: `\`${cmd}\` is missing` };
  }
  const ns = `kbchk${randomBytes(3).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  if (add.status !== 0) return { ok: false, reason: `cannot create a namespace: ${add.stderr.trim()}` };
  try {
    for (const kind of ['cone', 'symmetric'] as const) {
      const nft = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
        input: natRuleset(kind),
        encoding: 'utf8',
        timeout: COMMAND_TIMEOUT_MS,
      });
      if (nft.status !== 0) return { ok: false, reason: `nftables NAT rules refused: ${nft.stderr.trim()}` };
      spawnSync('ip', ['netns', 'exec', ns, 'nft', 'flush', 'ruleset'], { timeout: COMMAND_TIMEOUT_MS });
    }
    return { ok: true };
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
  }
}

/** Beds not yet destroyed, removed synchronously if the test process exits without destroying them. */
const live = new Set<string>();
let exitHookInstalled = false;

function removeBedSync(id: string): void {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  for (const ns of listNamespaces(r.stdout ?? '').filter((n) => n.startsWith(`${id}-`)))
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
}

/**
 * Makes an empty bed (the public segment only). `prefix` (lower-case letters and digits, at most 4)
 * starts the bed's id, which ends in random hex.
 */
export async function createBed(prefix = 'kb'): Promise<Bed> {
  if (!/^[a-z][a-z0-9]{0,3}$/.test(prefix)) throw new Error(`bed prefix "${prefix}": 1-4 of [a-z0-9]`);
  const id = prefix + randomBytes(2).toString('hex');
  const publicNs = `${id}-pub`;
  const used = new Set<string>([publicNs]);
  const children = new Set<ChildProcess>();
  /** Namespaces on the public segment, and routes every one of them needs (to the LANs of 'none' sites). */
  const onPublic: string[] = [];
  const publicRoutes: string[] = [];
  let nextPublic = 1;
  let nextPort = 1;
  let nextSite = 1;

  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const bedId of live) removeBedSync(bedId);
    });
  }
  live.add(id);

  function claim(name: string): string {
    if (name.length > MAX_NAME) throw new Error(`namespace name ${name} is longer than ${MAX_NAME}`);
    if (used.has(name)) throw new Error(`namespace name ${name} is already used in this bed`);
    used.add(name);
    return name;
  }

  // No list of what was made: destroy() removes every namespace named with the id, so one that a
  // failure left half built goes too.
  async function addNamespace(ns: string): Promise<void> {
    await must('ip', ['netns', 'add', ns]);
    await ipBatch(ns, ['link set lo up']);
  }

  /** Sets a per-namespace kernel setting; `optional` ones are skipped when the kernel lacks the key. */
  function setting(ns: string, key: string, value: string, optional = false): Promise<string> {
    const path = `/proc/sys/${key.replaceAll('.', '/')}`;
    const script = optional ? `[ ! -e ${path} ] || echo ${value} > ${path}` : `echo ${value} > ${path}`;
    return must('ip', ['netns', 'exec', ns, 'sh', '-c', script]);
  }

  /** A veth from the public bridge into `ns`, named `ifname` there, with a fresh public address. */
  async function attachPublic(ns: string, ifname: string): Promise<string> {
    if (nextPublic > 254) throw new Error('the public segment is full');
    const address = `${PUBLIC_NET}.${nextPublic++}`;
    const port = `p${nextPort++}`;
    await ipBatch(publicNs, [
      `link add ${port} type veth peer name ${ifname} netns ${ns}`,
      `link set ${port} master br0 up`,
    ]);
    await ipBatch(ns, [
      `addr add ${address}/24 dev ${ifname}`,
      `link set ${ifname} up`,
      ...publicRoutes.map((r) => `route add ${r}`),
    ]);
    onPublic.push(ns);
    return address;
  }

  function host(ns: string, address: string): Host {
    return {
      ns,
      address,
      spawn(cmd, args, opts = {}) {
        const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], opts);
        children.add(child);
        child.once('exit', () => children.delete(child));
        return child;
      },
      exec(cmd, args, timeoutMs = COMMAND_TIMEOUT_MS) {
        return run('ip', ['netns', 'exec', ns, cmd, ...args], undefined, timeoutMs);
      },
    };
  }

  const bed: Bed = {
    id,

    async publicHost(name) {
      const ns = claim(`${id}-${name}`);
      await addNamespace(ns);
      return host(ns, await attachPublic(ns, 'eth0'));
    },

    async site(name, kind, count) {
      if (!Number.isInteger(count) || count < 1 || count > 250) throw new Error(`site ${name}: 1-250 hosts`);
      if (nextSite > 254) throw new Error('no LAN prefix left');
      const n = nextSite++;
      const router = claim(`${id}-${name}r`);
      const hostNames = Array.from({ length: count }, (_, i) => claim(`${id}-${name}h${i + 1}`));
      await addNamespace(router);
      const publicAddress = await attachPublic(router, 'wan');
      await ipBatch(router, [
        'link add lan type bridge',
        `addr add 10.${n}.0.1/24 dev lan`,
        'link set lan up',
      ]);
      // Bridged frames between LAN hosts must not go through the router's IP filter (br_netfilter
      // would send them there when loaded); the key is absent when the module is not.
      await setting(router, 'net.bridge.bridge-nf-call-iptables', '0', true);
      await setting(router, 'net.ipv4.ip_forward', '1');
      await must('ip', ['netns', 'exec', router, 'nft', '-f', '-'], natRuleset(kind));
      const hosts: Host[] = [];
      for (const [i, ns] of hostNames.entries()) {
        const address = `10.${n}.0.${i + 2}`;
        await addNamespace(ns);
        await ipBatch(router, [
          `link add l${i + 1} type veth peer name eth0 netns ${ns}`,
          `link set l${i + 1} master lan up`,
        ]);
        // The only route out is the router: nothing reaches the machine's real interfaces.
        await ipBatch(ns, [
          `addr add ${address}/24 dev eth0`,
          'link set eth0 up',
          `route add default via 10.${n}.0.1`,
        ]);
        hosts.push(host(ns, address));
      }
      if (kind === 'none') {
        const route = `10.${n}.0.0/24 via ${publicAddress}`;
        publicRoutes.push(route);
        for (const ns of onPublic) if (ns !== router) await ipBatch(ns, [`route add ${route}`]);
      }
      return { router, publicAddress, hosts };
    },

    async destroy() {
      const running = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
      await Promise.all(
        running.map(
          (c) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 2_000);
              c.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              c.kill('SIGKILL');
            }),
        ),
      );
      children.clear();
      const listed = listNamespaces((await run('ip', ['netns', 'list'])).stdout).filter((ns) =>
        ns.startsWith(`${id}-`),
      );
      // Deleting a namespace deletes its interfaces, and a veth goes with either of its ends.
      for (const ns of listed) await run('ip', ['netns', 'del', ns]);
      live.delete(id);
    },
  };

  try {
    await addNamespace(publicNs);
    await ipBatch(publicNs, ['link add br0 type bridge', 'link set br0 up']);
    return bed;
  } catch (e) {
    await bed.destroy();
    throw e;
  }
}
