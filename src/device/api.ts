// What the device UI needs from the rest of Kith, and nothing more: who this device is, its
// contacts, the call, and the call actions. The service implements it over the same CallService
// the CLI drives (DESIGN §3: "The UI drives calls through the same API the CLI uses"); tests
// implement it with a fake.
export interface DeviceContact {
  /** The peer id (hex Ed25519 key) that call actions take. */
  id: string;
  name: string;
  verified: boolean;
}

export type DeviceCallState = 'idle' | 'calling' | 'ringing' | 'active' | 'ending';

export interface DeviceCall {
  state: DeviceCallState;
  contactName: string | null;
  direction: 'outgoing' | 'incoming' | null;
  /** Calling: the other device rings. */
  peerRinging: boolean;
  /** When the call was answered (ms since the epoch), for the duration shown. */
  answeredAt: number | null;
  /** Ending, or just ended: why (a call/record end reason). */
  endReason: string | null;
  /** Live E-model MOS (1-4.5) of an active call, for the quality bars; null before any voice. */
  mos: number | null;
}

export interface DeviceApi {
  identity(): { name: string; fingerprint: string };
  contacts(): DeviceContact[];
  call(): DeviceCall;
  /** A short line about the network for the idle screen, e.g. "online" or "no network". */
  network(): { online: boolean; label: string };
  /** Each may throw a KithError (e.g. CALL_NOT_IDLE); the UI shows its message. */
  startCall(contactId: string): void;
  answer(): void;
  reject(): void;
  hangup(): void;
  /** Called whenever the call or the contacts changed; returns a function that unsubscribes. */
  onChange(listener: () => void): () => void;
}
