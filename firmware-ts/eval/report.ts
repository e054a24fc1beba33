import fs from 'node:fs';
import path from 'node:path';
import type { ModelName } from '../model/config.js';
import { DRUMS } from '../pattern/drums.js';
import type { EvaluationResults, PlayerResults } from './evaluate.js';
import { ALL_SWING_TARGETS, SWING_BINS } from './experiments.js';
import { barChart, histogramPanels } from './svg.js';

/** The paper's Table 1 (std of timing offsets, offsets in [-1, 1]); the 11-input model was not measured there. */
export const PAPER_TABLE1: Partial<Record<ModelName, { mean: number; pm: number; label: string }>> = {
  baseline: { mean: 0.061, pm: 0.001, label: 'Baseline VAE' },
  fvae2: { mean: 0.2, pm: 0.002, label: 'Factorized VAE' },
  ag2: { mean: 0.222, pm: 0.002, label: 'Factorized VAE + Auxiliary Decoders' },
};

export const FIGURES = { table1: 'table1-diversity.svg', figure3: 'figure3-swing.svg' };
/** A hand-written discussion of the committed run, kept beside the generated report and included in it. */
export const DISCUSSION_FILE = 'results-discussion.md';

/** results.json: one key per evaluated player (models, then the non-neural ones; what the acceptance checks read), plus meta and reference. */
export function resultsJson(r: EvaluationResults): string {
  return (
    JSON.stringify(
      { ...r.players, meta: r.meta, reference: r.reference },
      (_, v) =>
        typeof v === 'number' && !Number.isFinite(v) ? null : typeof v === 'number' ? Number(v.toPrecision(6)) : v,
      2,
    ) + '\n'
  );
}

/**
 * Reads results.json back (what `evaluate --from` re-renders results.md from):
 * every top-level key but meta and reference is a player.
 */
export function resultsFromJson(text: string, where: string): EvaluationResults {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${where}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const { meta, reference, ...players } = raw;
  if (typeof meta !== 'object' || meta === null || typeof reference !== 'object' || reference === null)
    throw new Error(`${where}: expected the "meta" and "reference" objects of an evaluation's results.json`);
  for (const [name, p] of Object.entries(players)) {
    if (typeof p !== 'object' || p === null || !('measures' in p))
      throw new Error(
        `${where}: ${name}: expected a player's results with "measures" (results.json from an older evaluation cannot be re-rendered)`,
      );
  }
  return { meta, reference, players } as unknown as EvaluationResults;
}

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

const n3 = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3);
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const evaluated = (r: EvaluationResults) => Object.keys(r.players);
const models = (r: EvaluationResults) => evaluated(r).filter((n) => r.players[n].kind === 'model');
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const table = (head: string[], rows: (string | number)[][]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

function table1Figure(r: EvaluationResults): string {
  const bars = evaluated(r).map((n) => {
    const d = r.players[n].diversity;
    return { label: n, value: d.mean, ci: d.ci95, reference: PAPER_TABLE1[n as ModelName]?.mean };
  });
  return barChart(
    'Table 1: diversity of humanization (std of 5 offsets per Score hit)',
    bars,
    'std of timing offsets',
    "paper's Table 1",
  );
}

function figure3(r: EvaluationResults): string {
  const shown = models(r).filter((n) => r.players[n].swing);
  const panels = ALL_SWING_TARGETS.map((t) => ({
    title: t < 0 ? `target ${-t} early (rushed)` : t === 0 ? 'target 0 (straight)' : `target swing ${t} (late)`,
    lo: SWING_BINS.lo,
    hi: SWING_BINS.hi,
    marker: t,
    series: shown.map((n) => ({ label: n, counts: r.players[n].swing![String(t)].histogram })),
  }));
  return histogramPanels(
    'Figure 3: generated off-beat offsets for fixed swing Grooves',
    panels,
    'offset (1 = half a 16th late)',
  );
}

function markdown(r: EvaluationResults, command: string, discussion: string | null): string {
  const names = evaluated(r);
  const modelNames = models(r);
  const m = (n: string) => r.players[n] as PlayerResults;
  const ref = r.reference;
  const out: string[] = [];
  out.push('# Evaluation results (issues 4 and 20)', '');
  out.push(
    `Generated by \`${command}\` — seed ${r.meta.seed}, ${r.meta.testWindows} test windows${r.meta.limit === null ? ' (the whole test split)' : ` (--limit ${r.meta.limit}, spread evenly over the split)`}, ${r.meta.validationWindows} validation windows for the choices below, dataset cache ${r.meta.datasetHash}. The run took ${r.meta.seconds} s${r.meta.cpuSeconds === undefined ? '' : ` (CPU time ${r.meta.cpuSeconds} s: the wall time grows when other work shares the cores, the CPU time does not)`}. Same seed, same numbers.`,
    '',
  );
  out.push('Checkpoints:', '');
  out.push(
    table(
      ['model', 'epochs', 'training minutes', 'saved'],
      modelNames.map((n) => [
        n,
        String(m(n).checkpoint?.epochs),
        String(m(n).checkpoint?.trainingMinutes),
        String(m(n).checkpoint?.date),
      ]),
    ),
  );
  for (const [n, why] of Object.entries(r.meta.skipped)) out.push('', `**${n} not evaluated:** ${why}.`);
  out.push('', 'Choices made on the validation split (never on test):', '', ...r.meta.choices.map((c) => `- ${c}`), '');
  out.push(...standings(r));

  out.push('## Table 1 — diversity of humanization', '');
  out.push(
    'Each test window\'s Score humanized 5 times (the non-neural players too: only jitter draws anew each time); at every Score hit the std of the 5 generated offsets (offsets in [-1, 1], 1 = half a 16th), averaged per window, then over windows; 95% interval of that mean. Only cells that at least two of the five runs play count (a dropped note has no timing); "cells used" says how many that was. baseline: z sampled from the posterior; fvae2/ag2: Score at its posterior mean, Groove from the prior; ag11: all nine drums given, Groove and Accent from the prior.',
    '',
  );
  out.push(
    table(
      ['model', 'ours', '95% interval', 'cells used', 'dropped notes as offset 0', 'paper'],
      names.map((n) => {
        const d = m(n).diversity;
        const p = PAPER_TABLE1[n as ModelName];
        return [
          n,
          n3(d.mean),
          `${n3(d.ci95[0])} – ${n3(d.ci95[1])}`,
          pct(d.cellsUsed),
          n3(d.zeroFilled.mean),
          p ? `${p.mean.toFixed(3)} ± ${p.pm} (${p.label})` : 'not measured',
        ];
      }),
    ),
  );
  out.push('', `![Table 1](${FIGURES.table1})`, '');
  const order = (['baseline', 'fvae2', 'ag2'] as const).filter((n) => r.players[n]);
  if (order.length === 3) {
    const [b, f, a] = order.map((n) => m(n).diversity.mean);
    out.push(
      `Paper's ordering baseline < factorized < factorized + aux: ${b < f && f < a ? '**holds**' : b < f && b < a ? '**partly holds** (baseline lowest, but the two factorized models swap)' : '**does not hold**'} here (${n3(b)} / ${n3(f)} / ${n3(a)}).`,
      '',
    );
  }

  out.push('## Table 2 and Figure 3 — fidelity to a swing Groove', '');
  out.push(
    `A Groove with a hit on every 16th, offset 0 on the on-beats and t on the off-beats (velocity ${n3(ref.swingVelocity)}), applied with every test window's Score. Statistics over every generated hit on an odd step. Ours is positive = late; the paper's -0.05/-0.2/-0.4 are the same targets in Magenta's sign. The paper's text gives Table 2's targets but its numbers did not survive in our copy, so the comparison is with the targets and the paper's prose ("quite close", "more swing, more variation", "regress slightly to the dataset mean"). Real off-beat offsets in the test windows: mean ${n3(ref.realOffBeat.mean)}, std ${n3(ref.realOffBeat.std)}; real on-beats: mean ${n3(ref.realOnBeat.mean)}${ref.realOnBeat.mean < 0 ? ' (the drummers play ahead of the grid on average)' : ''}, so "off − on" (the swing relative to the model's own on-beats) is shown too.`,
    '',
  );
  const swingRows: (string | number)[][] = [];
  for (const n of names) {
    const s = m(n).swing;
    if (!s) continue;
    for (const t of ALL_SWING_TARGETS) {
      const x = s[String(t)];
      swingRows.push([n, t, n3(x.mean), n3(x.std), n3(x.absError), n3(x.onBeatMean), n3(x.mean - x.onBeatMean), x.n]);
    }
  }
  out.push(
    table(
      [
        'model',
        'target t',
        'generated mean',
        'generated std',
        '\\|mean − t\\|',
        'on-beat mean',
        'off − on',
        'off-beat hits',
      ],
      swingRows,
    ),
  );
  out.push('', `![Figure 3](${FIGURES.figure3})`, '');

  out.push('## Realism — Wasserstein-1 to the real test hits', '');
  out.push(
    `Per drum, W1 between generated and real distributions of offsets and of velocities, then averaged with each drum's share of real hits as weight. Humanization = the Table 1 outputs; free = nothing given, every latent from the prior. References: two real samples (validation vs test) are ${n3(ref.floor.offsetsW1Mean)} (offsets) / ${n3(ref.floor.velocitiesW1Mean)} (velocities) apart; a quantized output (every offset 0) is ${n3(ref.quantizedOffsetsW1Mean)} from the real offsets; the real offsets' std is ${n3(ref.offsetStd)}. Real hits per window: ${n3(ref.testHitsPerWindow)}.`,
    '',
  );
  out.push(
    table(
      [
        'player',
        'humanize offsets W1',
        'humanize velocities W1',
        'humanize offset std',
        'free offsets W1',
        'free velocities W1',
        'free offset std',
        'free hits/window',
        'free hits',
      ],
      names.map((n) => {
        const h = m(n).realism.humanize,
          f = m(n).realism.free;
        return [
          n,
          n3(h.offsetsW1Mean),
          n3(h.velocitiesW1Mean),
          n3(h.offsetStd),
          n3(f?.offsetsW1Mean),
          n3(f?.velocitiesW1Mean),
          n3(f?.offsetStd),
          n3(f?.hitsPerWindow),
          f?.hits ?? 'n/a',
        ];
      }),
    ),
  );
  out.push('', 'Offsets W1 per drum (humanization):', '');
  out.push(
    table(
      ['model', ...DRUMS],
      names.map((n) => [n, ...m(n).realism.humanize.offsetsW1.map(n3)]),
    ),
  );
  out.push(
    '',
    `Real offsets' std per drum: ${ref.offsetStdPerDrum.map((s, d) => `${DRUMS[d]} ${n3(s)}`).join(', ')}.`,
    '',
  );

  out.push('## Score fidelity', '');
  out.push('Generated hits against the given Score over all Table 1 runs (every cell of every window).', '');
  out.push(
    table(
      ['model', 'precision', 'recall', 'F1'],
      names.map((n) => [n, n3(m(n).scoreFidelity.precision), n3(m(n).scoreFidelity.recall), n3(m(n).scoreFidelity.f1)]),
    ),
  );
  out.push('');

  out.push('## Control (what the paper tried only by listening)', '');
  const ag11 = r.players.ag11;
  if (ag11?.drumControl) {
    const dc = ag11.drumControl;
    out.push('**ag11, per-drum scores.** All nine drums given (Table 1 runs): hit F1 per drum.', '');
    out.push(table(DRUMS.slice(), [DRUMS.map((d) => n3(dc.allGiven[d].f1))]));
    const ks = dc.kickSnare;
    out.push(
      '',
      `Kick and snare given, crash given as an explicitly empty row, the other six unspecified (5 seeds): kick F1 ${n3(ks.f1.kick.f1)}, snare F1 ${n3(ks.f1.snare.f1)}; crash hits per window ${n3(ks.crashHitsPerWindow)} (target 0; the real windows have ${n3(ks.realCrashHitsPerWindow)}). Between two seeds, the unspecified drums differ in ${n3(ks.cellsChangedAcrossSeeds.unspecified)} hit cells per window (the given ones in ${n3(ks.cellsChangedAcrossSeeds.given)}); ${pct(ks.unspecifiedVaried)} of seed pairs change the unspecified drums at all.`,
      '',
    );
  }
  if (ag11?.accentControl) {
    const a = ag11.accentControl;
    out.push(
      `**ag11, Accent.** Mean velocity of generated hits on accented / unaccented steps: Accent given ${n3(a.given.accented)} / ${n3(a.given.unaccented)}; Accent left to the prior ${n3(a.notGiven.accented)} / ${n3(a.notGiven.unaccented)}; the real windows ${n3(a.real.accented)} / ${n3(a.real.unaccented)}.`,
      '',
    );
  }
  const grooveRows = names
    .filter((n) => m(n).grooveControl)
    .map((n) => {
      const g = m(n).grooveControl!;
      return [n, n3(g.given), n3(g.notGiven), n3(g.real)];
    });
  if (grooveRows.length) {
    out.push(
      "**Groove.** Each window's own Groove (its squashed performance) given as the tap; mean |offset − tapped offset| over generated hits at the tapped steps.",
      '',
    );
    out.push(table(['model', 'Groove given', 'Groove from the prior', 'real windows'], grooveRows), '');
  }

  out.push('## Auxiliary reconstructions', '');
  out.push(
    'Every gesture given from the test window; each auxiliary decoder\'s reconstruction of its own input (hits thresholded at the validation-chosen threshold; the Groove also by velocity and offset error at the real taps). This is the box\'s "I did not understand that tap" signal.',
    '',
  );
  const auxRows: (string | number)[][] = [];
  for (const n of names) {
    for (const [factor, a] of Object.entries(m(n).auxiliary ?? {})) {
      auxRows.push([
        n,
        factor,
        a.threshold,
        n3(a.accuracy),
        n3(a.precision),
        n3(a.recall),
        n3(a.f1),
        a.velocityMAE === undefined ? '' : n3(a.velocityMAE),
        a.offsetMAE === undefined ? '' : n3(a.offsetMAE),
      ]);
    }
  }
  out.push(
    table(
      ['model', 'input', 'threshold', 'accuracy', 'precision', 'recall', 'F1', 'velocity MAE', 'offset MAE'],
      auxRows,
    ),
    '',
  );

  out.push('## Reconstruction losses', '');
  out.push(
    'Teacher-forced losses of the training objective (per window: hits = cross-entropy summed over cells, velocities/offsets = squared error at hits; KL in bits; aux = auxiliary decoders), on up to 512 windows of each split, spread evenly over it (fewer with `--limit`).',
    '',
  );
  out.push(
    table(
      [
        'model',
        'val loss',
        'val hits',
        'val velocities',
        'val offsets',
        'val KL bits',
        'test loss',
        'test hits',
        'test velocities',
        'test offsets',
        'test KL bits',
        'test aux',
      ],
      modelNames
        .filter((n) => m(n).losses)
        .map((n) => {
          const { validation: v, test: t } = m(n).losses!;
          return [
            n,
            n3(v.loss),
            n3(v.hits),
            n3(v.velocities),
            n3(v.offsets),
            n3(v.klBits),
            n3(t.loss),
            n3(t.hits),
            n3(t.velocities),
            n3(t.offsets),
            n3(t.klBits),
            n3(t.aux),
          ];
        }),
    ),
    '',
  );

  if (discussion) out.push(discussion.trim(), '');
  return out.join('\n');
}

/** How a column's best value is found: the lowest, the highest, or the closest to a target. */
type Best = 'low' | 'high' | { target: number };

/**
 * Formats a column with its best value in bold (ties all bold); `null` cells
 * (a player that could not be measured) read "n/a" and never win.
 */
function column(values: (number | null | undefined)[], best: Best, digits = 3): string[] {
  const score = (v: number) => (best === 'low' ? v : best === 'high' ? -v : Math.abs(v - best.target));
  const finite = values.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  const top = finite.length > 1 ? Math.min(...finite.map((v) => Number(score(v).toFixed(digits)))) : NaN;
  return values.map((v) => {
    if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
    const text = v.toFixed(digits);
    return Number(score(v).toFixed(digits)) === top ? `**${text}**` : text;
  });
}

/** A table whose columns are each marked on their own; `columns[c][row]` is the cell. */
function markedTable(
  head: string[],
  names: string[],
  columns: string[][],
  extraRows: (string | number)[][] = [],
): string {
  return table(head, [...names.map((n, i) => [n, ...columns.map((c) => c[i])]), ...extraRows]);
}

/** Issue 20's tables: every player side by side on each measure, the best of each column in bold. */
function standings(r: EvaluationResults): string[] {
  const names = evaluated(r);
  const p = (n: string) => r.players[n];
  const ref = r.reference;
  const out: string[] = [];
  // One sentence per reason: "Not measured for baseline, fvae2 (a Table 1 model ...); ag2 (the model takes no Accent)."
  const skippedFor = (has: (n: string) => boolean, key: string) => {
    const byReason = new Map<string, string[]>();
    for (const n of names.filter((x) => !has(x))) {
      const why = p(n).notes[key] ?? 'not measured';
      byReason.set(why, [...(byReason.get(why) ?? []), n]);
    }
    return byReason.size
      ? ` Not measured for ${[...byReason].map(([why, who]) => `${who.join(', ')} (${why})`).join('; ')}.`
      : '';
  };
  out.push('## Where each player stands (issue 20)', '');
  out.push(
    'Every model beside four non-neural players a performer could use instead (fitted on the train split only; docs/evaluation.md says how each works): **quantized** (offset 0, one velocity: ' +
      ref.quantizedVelocity.toFixed(0) +
      " MIDI, the train mean), **jitter** (each hit copies the offset and velocity of a random train hit of the same drum), **template** (every hit at step s gets the Groove's offset and velocity of step s), **nearest** (the train window with the closest gestures, its performance fitted to the given score). Offsets: 1 = half a 16th, positive = late. Velocities in MIDI 0..127. The best value of each column is in **bold** (lowest error; for ratios, the closest to the real data).",
    '',
  );

  const own = names.filter((n) => p(n).measures.ownScoreAndGroove);
  out.push('### Own Score and own Groove given', '');
  out.push(
    'Each test window\'s own Score and the Groove it was played with; mean absolute error per hit against the real performance, over the real hits the output plays at the same (step, drum) ("hit recall" says how many). "Forced" plays the given hits exactly (keepGiven, as the box does). "Beats template" counts the windows whose unforced offset error is below the template\'s.' +
      skippedFor((n) => Boolean(p(n).measures.ownScoreAndGroove), 'groove'),
    '',
  );
  const o = (n: string) => p(n).measures.ownScoreAndGroove!;
  out.push(
    markedTable(
      [
        'player',
        'offset error',
        'velocity error',
        'hit recall',
        'forced: offset error',
        'forced: velocity error',
        'beats template (windows)',
      ],
      own,
      [
        column(
          own.map((n) => o(n).unforced.offsetMAE),
          'low',
        ),
        column(
          own.map((n) => o(n).unforced.velocityMAE),
          'low',
          1,
        ),
        column(
          own.map((n) => o(n).unforced.hitRecall),
          'high',
        ),
        column(
          own.map((n) => o(n).forced.offsetMAE),
          'low',
        ),
        column(
          own.map((n) => o(n).forced.velocityMAE),
          'low',
          1,
        ),
        own.map((n) =>
          o(n).windowsBetterThanTemplate
            ? `${o(n).windowsBetterThanTemplate!.better} of ${o(n).windowsBetterThanTemplate!.compared}`
            : n === 'template'
              ? '—'
              : 'n/a',
        ),
      ],
    ),
    '',
  );

  out.push('### Humanize: only the Score given', '');
  out.push(
    `Errors as above (unforced: all five Table 1 runs; forced: one run with keepGiven). Distribution: per-drum Wasserstein-1 between the generated and the real test hits (Table 1 runs), averaged with each drum's real hit count as weight; spread = std of all generated offsets over the real std (${n3(ref.offsetStd)}). For scale, two real samples (validation vs test: other sessions, a smaller sample) are ${n3(ref.realVsReal.offsetsW1)} / ${ref.realVsReal.velocitiesW1.toFixed(1)} apart; a player drawing from the much larger train split can come closer than that.`,
    '',
  );
  const h = (n: string) => p(n).measures.humanize;
  out.push(
    markedTable(
      [
        'player',
        'offset error',
        'velocity error',
        'hit recall',
        'forced: offset error',
        'forced: velocity error',
        'W1 offsets',
        'W1 velocities',
        'offset std',
        'spread / real',
        'offset mean',
      ],
      names,
      [
        column(
          names.map((n) => h(n).unforced.offsetMAE),
          'low',
        ),
        column(
          names.map((n) => h(n).unforced.velocityMAE),
          'low',
          1,
        ),
        column(
          names.map((n) => h(n).unforced.hitRecall),
          'high',
        ),
        column(
          names.map((n) => h(n).forced.offsetMAE),
          'low',
        ),
        column(
          names.map((n) => h(n).forced.velocityMAE),
          'low',
          1,
        ),
        column(
          names.map((n) => h(n).distribution.offsetsW1),
          'low',
        ),
        column(
          names.map((n) => h(n).distribution.velocitiesW1),
          'low',
          1,
        ),
        column(
          names.map((n) => h(n).distribution.offsetStd),
          { target: ref.offsetStd },
        ),
        column(
          names.map((n) => h(n).distribution.spreadRatio),
          { target: 1 },
        ),
        column(
          names.map((n) => h(n).distribution.offsetMean),
          { target: ref.realOnBeat.n ? meanOfReal(r) : 0 },
        ),
      ],
      [
        [
          'real (validation vs test)',
          '',
          '',
          '',
          '',
          '',
          n3(ref.realVsReal.offsetsW1),
          ref.realVsReal.velocitiesW1.toFixed(1),
          n3(ref.offsetStd),
          '1.000',
          n3(meanOfReal(r)),
        ],
      ],
    ),
    '',
  );

  const sw = names.filter((n) => p(n).measures.swing);
  out.push('### Swing (Table 2, with a rushed and a straight Groove)', '');
  out.push(
    `A Groove on every 16th, offset 0 on the on-beats and t on the off-beats, with each window's Score; the mean offset of every generated off-beat hit, and |that − t|.` +
      skippedFor((n) => Boolean(p(n).measures.swing), 'groove'),
    '',
  );
  const label = (t: number) => (t < 0 ? `${-t} early` : t === 0 ? 'straight' : `${t} late`);
  out.push(
    markedTable(
      [
        'player',
        ...ALL_SWING_TARGETS.map((t) => `${label(t)}: mean`),
        ...ALL_SWING_TARGETS.map((t) => `${label(t)}: \\|mean − t\\|`),
      ],
      sw,
      [
        ...ALL_SWING_TARGETS.map((t) =>
          column(
            sw.map((n) => p(n).measures.swing![String(t)].offBeatMean),
            { target: t },
          ),
        ),
        ...ALL_SWING_TARGETS.map((t) =>
          column(
            sw.map((n) => p(n).measures.swing![String(t)].absError),
            'low',
          ),
        ),
      ],
    ),
    '',
  );

  const ac = names.filter((n) => p(n).measures.accent);
  out.push('### Accent following', '');
  out.push(
    `Each window's Score with an Accent on the "e" of every beat (steps 1, 5, 9, ...). Per drum, the mean velocity of its hits on accented steps over that on the other steps; averaged over drums weighted by accented hits. The real windows with their own accents (the paper's accent rule) give ${n3(ref.realAccent.ratio)}.` +
      skippedFor((n) => Boolean(p(n).measures.accent), 'accent'),
    '',
  );
  const a = (n: string) => p(n).measures.accent!;
  out.push(
    markedTable(
      ['player', 'accented velocity', 'unaccented velocity', 'ratio', 'accented hits'],
      ac,
      [
        ac.map((n) => a(n).accented.toFixed(1)),
        ac.map((n) => a(n).unaccented.toFixed(1)),
        column(
          ac.map((n) => a(n).ratio),
          { target: ref.realAccent.ratio },
        ),
        ac.map((n) => String(a(n).accentedHits)),
      ],
      [
        [
          'real (own accents)',
          ref.realAccent.accented.toFixed(1),
          ref.realAccent.unaccented.toFixed(1),
          n3(ref.realAccent.ratio),
          String(ref.realAccent.accentedHits),
        ],
      ],
    ),
    '',
  );

  const dr = names.filter((n) => p(n).measures.drumify);
  out.push('### Drumify: only the Groove given', '');
  out.push(
    `Each window's own Groove alone. Onset F1: the steps with any generated hit against the tapped steps. Hits per window against the real windows' ${n3(ref.testHitsPerWindow)}.` +
      skippedFor((n) => Boolean(p(n).measures.drumify), 'groove'),
    '',
  );
  const d = (n: string) => p(n).measures.drumify!;
  out.push(
    markedTable(
      ['player', 'onset F1', 'onset precision', 'onset recall', 'hits per window', 'hits / real', 'empty loops'],
      dr,
      [
        column(
          dr.map((n) => d(n).onset.f1),
          'high',
        ),
        dr.map((n) => n3(d(n).onset.precision)),
        dr.map((n) => n3(d(n).onset.recall)),
        dr.map((n) => d(n).hitsPerWindow.toFixed(1)),
        column(
          dr.map((n) => d(n).hitsPerWindow / d(n).realHitsPerWindow),
          { target: 1 },
        ),
        column(
          dr.map((n) => d(n).emptyLoops),
          'low',
          0,
        ),
      ],
    ),
    '',
  );
  out.push('Hits per window per drum (drumify):', '');
  out.push(
    table(
      ['player', ...DRUMS],
      [
        ...dr.map((n) => [n, ...d(n).hitsPerWindowPerDrum.map((x) => x.toFixed(2))]),
        ['real', ...ref.realHitsPerWindowPerDrum.map((x) => x.toFixed(2))],
      ],
    ),
    '',
  );

  out.push('### Score kept, and diversity', '');
  out.push(
    'Score F1 of the generated hits against the given Score (all nine drums given): the Table 1 runs without forcing, and the forced run (keepGiven). Table 1 diversity as in the section below (higher = more varied timing between runs; noise scores too, so read it with the errors above).',
    '',
  );
  out.push(
    markedTable(['player', 'score F1 unforced', 'score F1 forced', 'Table 1 diversity'], names, [
      column(
        names.map((n) => p(n).measures.score.f1Unforced),
        'high',
      ),
      column(
        names.map((n) => p(n).measures.score.f1Forced),
        'high',
      ),
      column(
        names.map((n) => p(n).diversity.mean),
        'high',
      ),
    ]),
    '',
  );
  return out;
}

/** Mean offset of every real test hit (the target an output's mean lean is compared with). */
function meanOfReal(r: EvaluationResults): number {
  const { realOffBeat: off, realOnBeat: on } = r.reference;
  return (off.mean * off.n + on.mean * on.n) / (off.n + on.n);
}
