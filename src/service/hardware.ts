// Which drivers a device runs, from its board profile (hardware/boards/*.json, DESIGN §5): the
// kernel's gpio-keys and gpio-leds through our overlay where it is installed, onoff (sysfs GPIO)
// where it is not, the SSD1306 on the profile's I2C bus, or the sim drivers for the simulator.
// Also the config pieces that depend on the board: its ALSA devices and Opus complexity.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { type Board, keyCodes, loadBoard } from '../hal/board.js';
import type { ButtonId, ButtonInput } from '../hal/buttons.js';
import type { Display } from '../hal/display.js';
import { EvdevButtons, findInputDevice } from '../hal/evdev-buttons.js';
import { type GpioButtonPin, GpioButtons } from '../hal/gpio-buttons.js';
import { type GpioLedPin, GpioLeds } from '../hal/gpio-leds.js';
import type { LedId, Leds } from '../hal/leds.js';
import { SimButtons } from '../hal/sim-buttons.js';
import { SimDisplay } from '../hal/sim-display.js';
import { SimLeds } from '../hal/sim-leds.js';
import { Ssd1306 } from '../hal/ssd1306.js';
import { SysfsLeds } from '../hal/sysfs-leds.js';
import { systemClock } from '../net/clock.js';
import { type AudioDevices, alsaAudio, simAudio } from './audio-devices.js';

export interface DeviceHardware {
  display: Display;
  buttons: ButtonInput;
  leds: Leds;
  /** Releases every driver. */
  close(): void;
}

/** Sim hardware the simulator (and tests) can look at and press. */
export interface SimHardware extends DeviceHardware {
  display: SimDisplay;
  buttons: SimButtons;
  leds: SimLeds;
}

/** The three parts as one, closed together (inputs first, so nothing draws on a closed display). */
function hardwareOf<D extends Display, B extends ButtonInput, L extends Leds>(
  display: D,
  buttons: B,
  leds: L,
) {
  return {
    display,
    buttons,
    leds,
    close: () => {
      buttons.close();
      leds.close();
      display.close();
    },
  };
}

export function simHardware(): SimHardware {
  return hardwareOf(new SimDisplay(), new SimButtons(), new SimLeds());
}

/** The board the config names, or null for "none" (no device hardware). */
export function loadBoardFor(config: Config): (Board & { opusComplexity: number }) | null {
  if (config.device.board === 'none') return null;
  const board = loadBoard(config.device.board);
  return { ...board, opusComplexity: board.audio.opus_complexity };
}

/**
 * Audio for calls: the sim driver when the config (or --audio-in/--audio-out) asks for it,
 * otherwise ALSA with the config's devices, or the board's when the config keeps the defaults.
 */
export function audioFor(config: Config, board: Board | null): AudioDevices {
  const a = config.audio;
  if (a.driver === 'sim') {
    return simAudio({ clock: systemClock, inputFile: a.sim_input, outputFile: a.sim_output });
  }
  return alsaAudio({
    captureDevice: a.capture_device === 'default' && board ? board.audio.capture_device : a.capture_device,
    playbackDevice:
      a.playback_device === 'default' && board ? board.audio.playback_device : a.playback_device,
  });
}

export function openBoardHardware(board: Board): DeviceHardware {
  if (board.buttons.driver === 'sim' && board.leds.driver === 'sim' && board.display.driver === 'sim') {
    return simHardware();
  }
  const display =
    board.display.driver === 'sim'
      ? new SimDisplay()
      : new Ssd1306({
          busNumber: board.display.i2c_bus,
          address: board.display.address,
          rotate180: board.display.rotate_180,
        });
  return hardwareOf(display, openButtons(board), openLeds(board));
}

function openButtons(board: Board): ButtonInput {
  const b = board.buttons;
  if (b.driver === 'sim') return new SimButtons();
  // The overlay's input device when it is there; onoff on the same lines when it is not.
  if (b.driver === 'evdev' && findInputDevice(b.input_name) !== undefined) {
    return new EvdevButtons({ codes: keyCodes(b), name: b.input_name });
  }
  const pin = (id: ButtonId): GpioButtonPin => ({
    gpiochip: b[id].gpiochip,
    line: b[id].line,
    activeLow: b.active_low,
  });
  return new GpioButtons({ pins: { up: pin('up'), select: pin('select'), back: pin('back') } });
}

function openLeds(board: Board): Leds {
  const l = board.leds;
  if (l.driver === 'sim') return new SimLeds();
  const classDir = '/sys/class/leds';
  if (
    l.driver === 'sysfs' &&
    existsSync(join(classDir, l.green.class_name)) &&
    existsSync(join(classDir, l.red.class_name))
  ) {
    return new SysfsLeds({ names: { green: l.green.class_name, red: l.red.class_name } });
  }
  const pin = (id: LedId): GpioLedPin => ({
    gpiochip: l[id].gpiochip,
    line: l[id].line,
    activeLow: l[id].active_low,
  });
  return new GpioLeds({ pins: { green: pin('green'), red: pin('red') } });
}
