import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BACKEND_NAMES } from '../ml/backend-names.js';
import { MODELS_DIR } from '../paths.js';

/** A `groovebox` sub-command. Each lives in its own file under cli/commands/. */
export interface Command {
  /** e.g. "dataset stats" (words separated by spaces). */
  name: string;
  summary: string;
  /** Usage text shown by --help (options with their defaults). */
  usage: string;
  options?: ParseArgsConfig['options'];
  /** Accept positional arguments. */
  positionals?: boolean;
  run(args: {
    values: Record<string, string | boolean | (string | boolean)[] | undefined>;
    positionals: string[];
  }): Promise<number | void>;
}

/** A mistake on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, ...(command.options ?? {}) },
      allowPositionals: command.positionals ?? false,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(
      `${command.name}: ${argumentProblem(err as Error & { code?: string })} (see groovebox ${command.name} --help)`,
    );
  }
}

/**
 * node's parseArgs error in the box's words: the problem alone, without
 * node's advice (about positional arguments after '--', which fits no
 * groovebox command); the caller points at the command's --help.
 */
function argumentProblem(err: Error & { code?: string }): string {
  const quoted = /'([^']*)'/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? err.message}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted ?? err.message}": this command takes only options`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = quoted?.split(' ')[0];
      if (option && / argument missing/.test(err.message)) return `${option}: a value is missing`;
      if (option && /does not take an argument/.test(err.message)) return `${option} takes no value`;
      return err.message.split('. ')[0];
    }
    default:
      return err.message.split('. ')[0];
  }
}

/** Reads a numeric option, naming it when it is not a number in range (a blank value, as from an unset shell variable, is not 0). */
export function numberOption(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  min = -Infinity,
  max = Infinity,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name}: expected a number in ${min}..${max}, got "${raw}"`);
  return n;
}

/** Like numberOption, for counts, ports and seeds: whole numbers only. */
export function integerOption(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  min = -Infinity,
  max = Infinity,
): number {
  const n = numberOption(values, name, fallback, min, max);
  if (!Number.isInteger(n))
    throw new UsageError(`--${name}: expected a whole number in ${min}..${max}, got "${values[name]}"`);
  return n;
}

/** A --backend flag, checked before any backend starts. */
export function backendOption(values: Record<string, unknown>): string | undefined {
  const raw = stringOption(values, 'backend');
  if (raw !== undefined && !(BACKEND_NAMES as readonly string[]).includes(raw)) {
    throw new UsageError(`--backend: expected one of ${BACKEND_NAMES.join(', ')}, got "${raw}"`);
  }
  return raw;
}

export function stringOption(values: Record<string, unknown>, name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

/** A model folder's name under --models-dir: a name only, since a path would let it escape that folder. */
export function isModelFolderName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name);
}

/** The trained model `--model NAME` names under `--models-dir` (default models/): its name and folder, or a UsageError. */
export function trainedModelFolder(values: Record<string, unknown>): { name: string; dir: string } {
  const name = stringOption(values, 'model');
  if (!name || !isModelFolderName(name))
    throw new UsageError(
      `--model: expected a model folder's name, got ${name === undefined ? 'nothing' : `"${name}"`}`,
    );
  const dir = path.join(path.resolve(stringOption(values, 'models-dir') ?? MODELS_DIR), name);
  if (!fs.existsSync(path.join(dir, 'config.json'))) throw new UsageError(`${dir}: no trained model there`);
  return { name, dir };
}
