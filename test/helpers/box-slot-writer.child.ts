/**
 * Child process for the kill test in box-slots.test.ts: saves the slots and
 * the working state over and over, each round a new version, until killed.
 * argv: <stateDir> <first version>
 */
import { SlotStore } from '../../firmware-ts/box/slots.js';
import { slotVersion, SLOTS_UNDER_TEST } from './box-slot-data.js';

const [dir, first] = process.argv.slice(2);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const store = await SlotStore.open(dir, silent);
process.stdout.write('ready\n');
// Each run starts at a different file, so a kill soon after the start does not always spare the last ones.
for (let version = Number(first); ; version++) {
  for (let k = 0; k <= SLOTS_UNDER_TEST; k++) {
    const slot = (Number(first) + k) % (SLOTS_UNDER_TEST + 1);
    if (slot < SLOTS_UNDER_TEST) await store.save(slot, slotVersion(slot, version));
    else await store.saveWorking({ ...slotVersion(SLOTS_UNDER_TEST, version), slot: version % 16 });
  }
}
