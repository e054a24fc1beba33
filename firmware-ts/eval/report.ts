// The evaluation report: results.json, the two figures and results.md (with the hand-written discussion) written
// into one folder.

import fs from 'node:fs';
import path from 'node:path';
import type { EvaluationResults } from './evaluate.js';
import { FIGURES, figure3, table1Figure } from './report-figures.js';
import { markdown } from './report-markdown.js';
import { resultsJson } from './results-file.js';

// What the report's users import, from where each now lives.
export { FIGURES, PAPER_TABLE1 } from './report-figures.js';
export { resultsFromJson, resultsJson } from './results-file.js';

/** A hand-written discussion of the committed run, kept beside the generated report and included in it. */
export const DISCUSSION_FILE = 'results-discussion.md';

export function writeReport(r: EvaluationResults, outDir: string, command: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  r.meta.command ??= command;
  const written: string[] = [];
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(outDir, name), text);
    written.push(path.join(outDir, name));
  };
  write('results.json', resultsJson(r));
  write(FIGURES.table1, table1Figure(r));
  write(FIGURES.figure3, figure3(r));
  const discussionPath = path.join(outDir, DISCUSSION_FILE);
  const discussion = fs.existsSync(discussionPath) ? fs.readFileSync(discussionPath, 'utf8') : null;
  write('results.md', markdown(r, command, discussion));
  return written;
}
