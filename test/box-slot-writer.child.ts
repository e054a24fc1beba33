/**
 * Child process for the kill test in box-slots.test.ts: saves the slots and
 * the working state over and over, each round a new version, until killed.
 * argv: <stateDir> <first version>
 */
import { SlotStore } from '../firmware-ts/box/slots.js';
import { slotVersion, SLOTS_UNDER_TEST } from './box-slot-data.js';

const [dir, first] = process.argv.slice(2);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const store = await SlotStore.open(dir, silent);
process.stdout.write('ready\n');
for (let version = Number(first); ; version++) {
  for (let slot = 0; slot < SLOTS_UNDER_TEST; slot++) await store.save(slot, slotVersion(slot, version));
  await store.saveWorking({ ...slotVersion(SLOTS_UNDER_TEST, version), slot: version % 16 });
}
