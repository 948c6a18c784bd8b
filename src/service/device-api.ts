// The DeviceApi (device/api.ts) over the service's own parts: the contacts in the store, the
// CallService the CLI also drives, the channel router for the network line. So the buttons and
// the `kith` commands act on exactly the same calls.
import type { DeviceApi, DeviceCall, DeviceContact } from '../device/api.js';
import { fromHex } from '../crypto/bytes.js';
import type { ChannelRouter } from '../channel/router.js';
import type { Store } from '../store/store.js';
import type { CallService } from './calls.js';
import { type ChannelDirectory, peerId } from './channels.js';

export interface DeviceApiParts {
  store: Store;
  calls: CallService;
  directory: ChannelDirectory;
  router: ChannelRouter;
  /** The name on this device's card (config device.name). */
  name: string;
}

export function deviceApi(parts: DeviceApiParts): DeviceApi {
  const { store, calls } = parts;
  const nameOf = (peer: string): string => {
    try {
      return store.contacts.findByKey(fromHex(peer))?.name ?? peer.slice(0, 8);
    } catch {
      return peer.slice(0, 8);
    }
  };
  return {
    identity: () => ({ name: parts.name, fingerprint: store.identity.fingerprint }),
    contacts: (): DeviceContact[] =>
      store.contacts.list().contacts.map((c) => ({ id: peerId(c), name: c.name, verified: c.verified })),
    call: (): DeviceCall => {
      const live = calls.live();
      const c = live.call;
      const heard = live.metrics !== null && live.metrics.packetsReceived > 0;
      const ended = calls.lastEnded();
      if (!c && ended) {
        // Just ended (declined, busy, hung up): the screen says why.
        return {
          state: 'idle',
          contactName: nameOf(ended.peerId),
          direction: ended.direction,
          peerRinging: false,
          answeredAt: null,
          endReason: ended.endReason,
          mos: null,
        };
      }
      return {
        state: live.state,
        contactName: c ? nameOf(c.peerId) : null,
        direction: c?.direction ?? null,
        peerRinging: c?.peerRinging ?? false,
        answeredAt: c?.answeredAt ?? null,
        endReason: c?.endReason ?? null,
        mos: heard ? (live.metrics?.mos ?? null) : null,
      };
    },
    network: () => ({ online: true, label: `UDP ${parts.router.local.port}` }),
    startCall: (contactId) => {
      calls.call(contactId);
    },
    answer: () => calls.answer(),
    reject: () => calls.reject(),
    hangup: () => calls.hangup(),
    onChange: (listener) => {
      const offCalls = calls.onChange(listener);
      const offContacts = parts.directory.onChange(listener);
      return () => {
        offCalls();
        offContacts();
      };
    },
  };
}
