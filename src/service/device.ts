// The device itself, as the service runs it: button edges through the input broker into the UI,
// the UI drawing on the display and driving the LEDs, all over the DeviceApi (calls, contacts).
// A part that fails (no display on the bus, no input device) is logged and the rest carries on
// (DESIGN §5: a missing part degrades the device, it never stops the service).
import type { DeviceApi } from '../device/api.js';
import { DeviceUi } from '../device/ui.js';
import type { KithError } from '../errors.js';
import { InputBroker } from '../hal/input-broker.js';
import type { Clock } from '../net/clock.js';
import type { DeviceHardware } from './hardware.js';

export interface RunningDevice {
  ui: DeviceUi;
  close(): void;
}

export interface DeviceOptions {
  clock: Clock;
  hardware: DeviceHardware;
  api: DeviceApi;
  log: { warn(fields: object, message: string): void };
}

export function startDevice(o: DeviceOptions): RunningDevice {
  const { hardware, log } = o;
  const report = (part: string) => (err: KithError) =>
    log.warn({ part, code: err.code, err: err.message }, `${part} failed; the device carries on without it`);
  hardware.display.onError(report('display'));
  hardware.leds.onError(report('leds'));
  const ui = new DeviceUi({ clock: o.clock, display: hardware.display, leds: hardware.leds, api: o.api });
  const broker = new InputBroker({ clock: o.clock, onEvent: (event) => ui.handle(event) });
  hardware.buttons.start((button, pressed) => broker.edge(button, pressed), report('buttons'));
  ui.start();
  return {
    ui,
    close: () => {
      broker.close();
      ui.close();
    },
  };
}
