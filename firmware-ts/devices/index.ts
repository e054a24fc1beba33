/**
 * The front panel's devices. Composition roots (the daemon, the virtual
 * panel, tests) import from here: the interfaces to implement or consume,
 * the real drivers, the fakes, and `discoverDevices`.
 *
 * A simulated panel implements StepGrid / TapPad / Buttons / TempoControl
 * directly (no I2C, no GPIO); everything downstream sees only the interfaces.
 */
export * from './interfaces.js';
export { DeviceMissingError } from './errors.js';
export { namespacedLog, silentLog, MemoryLog, type DeviceLog } from '../support/log.js';
export { discoverDevices, DEFAULT_SIGNAL_PINS, type DiscoveryOptions, type FoundDevices, type MissingDevice } from './discovery.js';

export type { I2cBus } from './i2c/bus.js';
export { openI2cBus } from './i2c/i2c-bus-driver.js';
export { FakeI2cBus, type FakeI2cDevice, type I2cTransaction } from './i2c/fake-bus.js';

export { NeoTrellisGrid, type NeoTrellisOptions } from './neotrellis/neotrellis-grid.js';
export { FakeSeesaw } from './neotrellis/fake-seesaw.js';
export { NEOTRELLIS_ADDRESS } from './neotrellis/seesaw.js';

export { Ads1115, Ads1115Sampler, ADS1115_READY_EDGE, type AdcSample } from './ads1115/ads1115.js';
export { FakeAds1115 } from './ads1115/fake-ads1115.js';
export { ADS1115_ADDRESS } from './ads1115/registers.js';
export { Ads1115TapPad, type Ads1115TapPadOptions } from './tap-pad/ads1115-tap-pad.js';
export { OnsetDetector, DEFAULT_ONSET_OPTIONS, onsetOptions, type OnsetOptions } from './tap-pad/onset-detector.js';

export type { Gpio, GpioInput, InputOptions, Level } from './gpio/gpio.js';
export { openOnoffGpio } from './gpio/onoff-gpio.js';
export { FakeGpio, FakeGpioPin } from './gpio/fake-gpio.js';
export { sysfsNumberForBcm, listGpioChips, HEADER_CHIP_LABELS } from './gpio/sysfs-number.js';

export { GpioButtons, DEFAULT_BUTTON_PINS } from './buttons/gpio-buttons.js';
export { RotaryEncoder, DEFAULT_ENCODER_PINS } from './buttons/rotary-encoder.js';
export { Debouncer } from './buttons/debouncer.js';

export type { AudioInput, AudioBlock } from './microphone/audio-input.js';
export { ArecordInput, type ArecordInputOptions } from './microphone/arecord-input.js';
export { FakeAudioInput } from './microphone/fake-audio-input.js';
export { MicrophoneTapPad, type LevelMeter } from './microphone/microphone-tap-pad.js';
export { AudioOnsetDetector, DEFAULT_AUDIO_ONSET_OPTIONS, audioOnsetOptions, detectOnsets, velocityOfLevel, type AudioOnset, type AudioOnsetOptions } from './microphone/audio-onset-detector.js';
