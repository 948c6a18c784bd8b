// The real Transport: one UDP socket (DESIGN §3: one socket for the overlay and every channel).
// Send errors (no route, buffer full) are counted and the packet is treated as lost, which is what
// the protocols above expect of UDP; they never throw into protocol code.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { KithError } from '../errors.js';
import { type Endpoint, MAX_PACKET_BYTES, type PacketHandler, type Transport } from './transport.js';

export interface UdpStats {
  sent: number;
  received: number;
  sendErrors: number;
  oversizeDropped: number;
}

export interface UdpTransport extends Transport {
  readonly stats: UdpStats;
}

export async function openUdp(bind: Endpoint): Promise<UdpTransport> {
  const socket: Socket = createSocket({ type: isIPv6(bind.address) ? 'udp6' : 'udp4', reuseAddr: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new KithError(
          'NET_BIND_FAILED',
          `cannot bind UDP ${bind.address}:${bind.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`,
        ),
      ),
    );
    socket.bind(bind.port, bind.address, () => resolve());
  });
  const address = socket.address();
  const stats: UdpStats = { sent: 0, received: 0, sendErrors: 0, oversizeDropped: 0 };
  let handler: PacketHandler = () => {};
  socket.on('error', () => {
    stats.sendErrors += 1;
  });
  socket.on('message', (msg, rinfo) => {
    if (msg.length > MAX_PACKET_BYTES) {
      stats.oversizeDropped += 1;
      return;
    }
    stats.received += 1;
    handler(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), {
      address: rinfo.address,
      port: rinfo.port,
    });
  });
  let closed = false;
  return {
    local: { address: address.address, port: address.port },
    stats,
    send(packet, to) {
      if (closed) return;
      socket.send(packet, to.port, to.address, (err) => {
        if (err) stats.sendErrors += 1;
        else stats.sent += 1;
      });
    },
    onPacket(h) {
      handler = h;
    },
    close() {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}
