import { measureWakeUpFloor } from '../../diagnostics/wake-up-probe.js';
import { numberOption, type Command, integerOption } from '../command.js';

export const benchWakeUpCommand: Command = {
  name: 'bench wake-up',
  summary: "Measures the machine's floor for timing-thread stalls: an idle real-time thread's wake-up delay",
  usage: `groovebox bench wake-up [--seconds S] [--rt N] [--json]
  --seconds S   how long (default 60)
  --rt N        SCHED_FIFO priority, as the MIDI timing thread runs (default 50; 0 = normal scheduling)
  --json        print one JSON object`,
  options: { seconds: { type: 'string' }, rt: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values }) {
    const floor = await measureWakeUpFloor(
      numberOption(values, 'seconds', 60, 1, 24 * 3600),
      integerOption(values, 'rt', 50, 0, 99) || false,
    );
    if (values.json) {
      process.stdout.write(JSON.stringify(floor) + '\n');
      return;
    }
    process.stdout.write(
      `idle thread (${floor.realtime ? `SCHED_FIFO ${floor.realtime}` : 'normal scheduling'}) for ${floor.seconds} s: ` +
        `wake-up delay p50 ${floor.p50Ms} ms, p99 ${floor.p99Ms} ms, max ${floor.maxMs} ms, ${floor.over5ms} over 5 ms; ` +
        `hypervisor steal ${floor.stolenMs ?? 'n/a'} ms\n`,
    );
  },
};
