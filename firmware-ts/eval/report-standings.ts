// Issue 20's standings: every player side by side on each measure, the best of each column in bold.

import { DRUMS } from '../pattern/drums.js';
import type { EvaluationResults } from './evaluate.js';
import { ALL_SWING_TARGETS } from './experiments.js';
import { column, evaluated, markedTable, n3, table } from './report-tables.js';

/** Issue 20's tables: every player side by side on each measure, the best of each column in bold. */
export function standings(r: EvaluationResults): string[] {
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
        'offset error: loudest notes / the others (tapped offset on those)',
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
        own.map((n) => {
          const r = o(n).unforced.offsetMAEByRole;
          return r ? `${n3(r.loudest)} / ${n3(r.others)} (${n3(r.othersTapped)})` : 'n/a';
        }),
      ],
    ),
    '',
  );

  const floor = ref.ownGrooveFloor;
  if (floor) {
    const best = Math.min(floor.shrunkOnOthers, floor.linearOnOthers ?? Infinity);
    const linear =
      floor.linearOnOthers === undefined
        ? ''
        : `, and a linear model of what the window's Score and Groove show about each drum (how it leans where it plays alone, the step's other drums, the step's place in the bar; fitted on train for least absolute error: eval/own-groove-floor.ts) ${n3(floor.linearOnOthers)}`;
    const r = floor.repeats;
    const repeats = r
      ? ` From below, an estimate from the drummers' own variation: where such a note is played at the same place in both bars of a window (${r.pairs} pairs), its distance from the tap changes from one bar to the other. If each drummer's habit at each place is a fixed distance from the tap, with Laplace or Gaussian noise around it, a player that knew every habit exactly would still be ${n3(r.laplace)}-${n3(r.gaussian)} off on these notes, ${n3(floor.othersShare * r.laplace)}-${n3(floor.othersShare * r.gaussian)} over all notes, with every loudest note exactly right (an estimate under those assumptions, not a bound).`
      : '';
    out.push(
      `How low the offset error can go: the Groove is each step's loudest note, so a player given it can play those notes exactly; the other ${(100 * floor.othersShare).toFixed(0)} % of the notes share a step with a louder one, and of them only what the Score and the Groove show around them is known. The template is ${n3(floor.templateOnOthers)} off on them, the tapped offset times ${floor.shrink} (fitted on train) ${n3(floor.shrunkOnOthers)}${linear}: a player that plays the loudest notes exactly and predicts the others as well as the better of these has an offset error of ${n3(floor.othersShare * best)} over all notes. To go lower it has to find more in the gestures than these predictors do, or know more than the gestures show.${repeats} The table's last column shows each player's error on the two kinds of note, and on the other notes it plays the error the tapped offset would have there (a player that drops notes is measured on fewer, and often easier, ones).`,
      '',
    );
  }

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
