// One error class for the whole of Kith, with stable codes (the hyperdht way): callers, tests and
// the control protocol branch on `code`, never on message text, so messages can improve freely.

export const codes = {
  // config/
  CONFIG_NOT_FOUND: 'config file does not exist',
  CONFIG_UNREADABLE: 'config file cannot be read',
  CONFIG_SYNTAX: 'config file is not valid TOML',
  CONFIG_INVALID: 'config value is not allowed',
  // crypto/
  CRYPTO_BAD_KEY: 'key has the wrong length or is not a valid point',
  CRYPTO_BAD_INPUT: 'input has the wrong length',
  CRYPTO_AUTH_FAILED: 'ciphertext failed authentication',
  CRYPTO_WEAK_SHARED_SECRET: 'Diffie-Hellman produced an all-zero shared secret',
  NOISE_BAD_PROTOCOL: 'Noise protocol name is malformed or not supported',
  NOISE_MISUSE: 'Noise state used out of turn, after it ended, or with the wrong keys',
  NOISE_BAD_MESSAGE: 'Noise message is too short or too long',
  NOISE_BAD_NONCE: 'Noise nonce is out of range or used up',
  // wire/card
  CARD_BAD_ENCODING: 'not a Kith contact card',
  CARD_TRUNCATED: 'contact card is truncated',
  CARD_TOO_LONG: 'contact card has trailing bytes',
  CARD_BAD_VERSION: 'contact card version is not supported',
  CARD_BAD_NAME: 'contact card name is not allowed',
  CARD_BAD_KEY: 'contact card holds an invalid public key',
  CARD_BAD_SIGNATURE: 'contact card signature does not verify',
  // store/
  STORE_LOCKED: 'another Kith process holds this data directory',
  STORE_OPEN_FAILED: 'database cannot be opened',
  STORE_MIGRATION_FAILED: 'database migration failed',
  STORE_TOO_NEW: 'database was written by a newer Kith',
  STORE_CORRUPT_ROW: 'database row is corrupt',
  VAULT_KEY_MISSING: 'storage key file is missing',
  VAULT_KEY_INVALID: 'storage key file is malformed',
  VAULT_KEY_PERMISSIONS: 'storage key file is readable by others',
  VAULT_KEY_MISMATCH: 'storage key does not belong to this database',
  VAULT_OPEN_FAILED: 'sealed value failed authentication',
  CONTACT_NOT_FOUND: 'no such contact',
  CONTACT_AMBIGUOUS: 'more than one contact matches',
  CONTACT_EXISTS: 'contact already exists',
  CONTACT_IS_SELF: 'that card is this device',
  CONTACT_BAD_NAME: 'contact name is not allowed',
  SETTING_INVALID: 'setting value is not allowed',
  // service/ and the control socket
  SERVICE_NOT_RUNNING: 'no Kith service answers on the control socket',
  SERVICE_SOCKET_IN_USE: 'control socket is served by another process',
  SERVICE_SOCKET_PATH: 'control socket path is not usable',
  CONTROL_BAD_REQUEST: 'control request is malformed',
  CONTROL_UNKNOWN_COMMAND: 'control command does not exist',
  CONTROL_TIMEOUT: 'control request timed out',
  // net/
  NET_BIND_FAILED: 'UDP socket cannot be bound',
  NET_BAD_ENDPOINT: 'not a valid HOST:PORT endpoint',
  // channel/ (the channel itself)
  CHANNEL_UNKNOWN_PEER: 'no such contact to open a channel with',
  CHANNEL_NO_ENDPOINT: 'no known address for the contact',
  CHANNEL_HANDSHAKE_TIMEOUT: 'handshake did not complete in time',
  CHANNEL_CLOSED: 'channel is closed',
  CHANNEL_PING_TIMEOUT: 'ping was not answered in time',
  CHANNEL_DATAGRAM_TOO_LARGE: 'datagram does not fit in one packet',
  // channel/ (the reliable stream)
  RELIABLE_BAD_OPTION: 'reliable stream option is out of range',
  RELIABLE_MESSAGE_TOO_LARGE: 'message is larger than the reliable stream carries',
  RELIABLE_QUEUE_FULL: 'reliable stream send queue is full',
  RELIABLE_CLOSED: 'reliable stream is closed',
  // hal/
  AUDIO_BAD_WAV: 'not a 16-bit PCM WAV file',
  AUDIO_WRONG_RATE: 'audio has a different sample rate than the format needs',
  AUDIO_BAD_OPTION: 'audio driver option is out of range',
  AUDIO_BAD_FRAME: 'audio frame has the wrong number of samples',
  AUDIO_MISUSE: 'audio driver used before start or started twice',
  AUDIO_FILE_UNREADABLE: 'audio file cannot be read',
  AUDIO_FILE_WRITE_FAILED: 'audio file cannot be written',
  AUDIO_TOOL_MISSING: 'audio tool is not installed',
  AUDIO_DRIVER_MISSING: 'audio driver package is not installed or does not load',
  AUDIO_DEVICE_MISSING: 'audio device does not exist',
  AUDIO_DEVICE_BUSY: 'audio device is in use by another program',
  AUDIO_FORMAT_UNSUPPORTED: 'audio device does not support the sample format',
  AUDIO_DEVICE_FAILED: 'audio device failed',
  HAL_BAD_OPTION: 'hardware driver option is out of range',
  HAL_MISUSE: 'hardware driver started twice',
  BUTTONS_DEVICE_MISSING: 'button input device does not exist',
  BUTTONS_ACCESS_DENIED: 'button input device cannot be opened: permission denied',
  BUTTONS_DEVICE_FAILED: 'button input device failed',
  GPIO_DRIVER_MISSING: 'GPIO package onoff is not installed or does not load',
  GPIO_UNAVAILABLE: 'sysfs GPIO is not available or not writable',
  GPIO_CHIP_MISSING: 'no GPIO controller has the label the board profile names',
  GPIO_LINE_FAILED: 'GPIO line cannot be set up, read or written',
  LEDS_MISSING: 'LED does not exist',
  LEDS_ACCESS_DENIED: 'LED cannot be written: permission denied',
  LEDS_FAILED: 'LED cannot be written',
  DISPLAY_DRIVER_MISSING: 'I2C package i2c-bus is not installed or does not load',
  DISPLAY_BUS_MISSING: 'I2C bus device does not exist',
  DISPLAY_ACCESS_DENIED: 'I2C bus device cannot be opened: permission denied',
  DISPLAY_MISSING: 'no display answers at the I2C address',
  DISPLAY_FAILED: 'display write failed',
  BOARD_NOT_FOUND: 'board profile does not exist',
  BOARD_UNREADABLE: 'board profile cannot be read',
  BOARD_INVALID: 'board profile is not valid',
  // voice/
  VOICE_BAD_FRAME: 'voice frame is malformed or out of range',
  VOICE_BAD_OPTION: 'voice option is out of range',
  VOICE_PIPELINE_FAILED: 'voice pipeline failed',
  // call/
  CALL_NOT_IDLE: 'a call is already in progress',
  CALL_NOT_RINGING: 'no incoming call is ringing',
  CALL_NO_CALL: 'there is no call to end',
  CALL_SELF: 'a device cannot call itself',
  CALL_CLOSED: 'call signalling has stopped',
  CALL_BAD_PARAMS: 'codec parameters are out of range',
  CALL_BAD_RECORD: 'call record is malformed',
  CALL_ALREADY_RECORDED: 'call is already in the call history',
  CALL_NOT_FOUND: 'no such call in the call history',
  CALL_BAD_QUERY: 'call history query is out of range',
  // device/
  DEVICE_BAD_OPTION: 'device UI option is out of range',
  DEVICE_BAD_PAIRING_CODE: 'pairing code is not six digits',
  DEVICE_UI_MISUSE: 'device UI started twice or after it was closed',
  // sim/
  SIM_PANEL_PORT_IN_USE: 'the front panel port is in use',
  // overlay/ (the node: joining, routing, rendezvous)
  OVERLAY_BAD_OPTION: 'overlay option is out of range',
  OVERLAY_POW_FAILED: 'no proof of work was found within the try budget',
  OVERLAY_NOT_CONTACT: 'that ID is not a contact, so there is no key to seal an INVITE to',
  OVERLAY_NO_ROUTE: 'the overlay has no neighbour closer to the destination',
  OVERLAY_NOT_JOINED: 'this node has no overlay neighbours (no entry peer reached)',
  OVERLAY_CONNECT_TIMEOUT: 'the contact did not answer the INVITE in time',
  OVERLAY_NO_PATH: 'neither a direct path nor a relay reached the contact',
  OVERLAY_CLOSED: 'the overlay node is closed',
  // cli/
  CLI_USAGE: 'command line is not valid',
  CLI_ABORTED: 'operation was not confirmed',
  CLI_INPUT: 'input file cannot be used',
} as const;

export type ErrorCode = keyof typeof codes;

export class KithError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? codes[code], options);
    this.name = 'KithError';
    this.code = code;
  }
}

export function isKithError(err: unknown, code?: ErrorCode): err is KithError {
  return err instanceof KithError && (code === undefined || err.code === code);
}

/** The message of anything thrown, for logs and replies; never includes a stack. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
