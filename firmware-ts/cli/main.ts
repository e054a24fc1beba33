#!/usr/bin/env node
import { parseCommandArgs, UsageError, type Command } from './command.js';
import { benchDatasetCommand } from './commands/bench-dataset.js';
import { benchGenerateCommand } from './commands/bench-generate.js';
import { benchTrainCommand } from './commands/bench-train.js';
import { benchWakeUpCommand } from './commands/bench-wake-up.js';
import { calibrateCommand } from './commands/calibrate.js';
import { fitUnderTapCommand } from './commands/fit-under-tap.js';
import { drumifyCommand } from './commands/drumify.js';
import { generateCommand } from './commands/generate.js';
import { grooveCommand } from './commands/groove.js';
import { humanizeCommand } from './commands/humanize.js';
import { benchMidiTiming } from './commands/bench-midi-timing.js';
import { datasetBuild, datasetStats } from './commands/dataset.js';
import { evaluateCommand } from './commands/evaluate.js';
import { soundRender } from './commands/sound-render.js';
import { trainCommand } from './commands/train.js';
import { plotLossesCommand } from './commands/plot-losses.js';
import { soakCommand } from './commands/soak.js';
import { startCommand } from './commands/start.js';

// Every command a person runs by hand. Add a command: one file in commands/, one line here.
const COMMANDS: Command[] = [
  startCommand,
  datasetStats,
  datasetBuild,
  trainCommand,
  calibrateCommand,
  fitUnderTapCommand,
  plotLossesCommand,
  soakCommand,
  evaluateCommand,
  benchDatasetCommand,
  benchMidiTiming,
  soundRender,
  benchGenerateCommand,
  generateCommand,
  grooveCommand,
  humanizeCommand,
  drumifyCommand,
  benchTrainCommand,
  benchWakeUpCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `groovebox <command> [options]   (every command takes --help)\n\n${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}\n`;
}

/** Finds the command whose (possibly multi-word) name matches the start of argv. */
function findCommand(argv: string[]): { command: Command; rest: string[] } | null {
  let best: { command: Command; rest: string[] } | null = null;
  for (const command of COMMANDS) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.command.name.split(' ').length)) {
      best = { command, rest: argv.slice(words.length) };
    }
  }
  return best;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(help());
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(argv[0] + ' '));
    if (group.length > 0) {
      process.stderr.write(`groovebox ${argv[0]}: choose one of: ${group.map((c) => c.name).join(', ')}\n`);
    } else {
      process.stderr.write(`groovebox: unknown command "${argv.join(' ')}" (try groovebox --help)\n`);
    }
    return 2;
  }
  const args = parseCommandArgs(found.command, found.rest);
  if (args.values.help) {
    process.stdout.write(`${found.command.summary}\n\n${found.command.usage}\n`);
    return 0;
  }
  const code = await found.command.run(args as Parameters<Command['run']>[0]);
  return typeof code === 'number' ? code : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Expected failures (bad input, missing files) are one line; anything else keeps its stack.
    const known =
      err instanceof Error &&
      (err.name.endsWith('Error') && err.name !== 'Error' && err.name !== 'TypeError' && err.name !== 'RangeError'
        ? true
        : false);
    process.stderr.write(
      known || err instanceof UsageError
        ? `groovebox: ${(err as Error).message}\n`
        : `groovebox: ${(err as Error)?.stack ?? err}\n`,
    );
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
