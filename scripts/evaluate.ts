#!/usr/bin/env node
// `node dist/scripts/evaluate.js [options]`: the same as `groovebox evaluate` (issue 4 asks for an entry under scripts/).
import { parseCommandArgs, UsageError } from '../firmware-ts/cli/command.js';
import { evaluateCommand } from '../firmware-ts/cli/commands/evaluate.js';

try {
  const args = parseCommandArgs(evaluateCommand, process.argv.slice(2));
  if (args.values.help) process.stdout.write(`${evaluateCommand.summary}\n\n${evaluateCommand.usage}\n`);
  else await evaluateCommand.run(args as Parameters<typeof evaluateCommand.run>[0]);
} catch (err) {
  process.stderr.write(`evaluate: ${(err as Error).message}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
