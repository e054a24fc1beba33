import type { Rgb } from '../../devices/interfaces.js';
import { AGREE_COLOR, DRUM_COLORS as LED_DRUM_COLORS, MISSED_COLOR, MODEL_COLOR } from '../../controls/led-view.js';
import { DRUMS } from '../../pattern/drums.js';
import { STEPS } from '../../pattern/pattern.js';
import type { PanelSnapshot } from '../protocol.js';

/** What the page shows and says, from a snapshot: pure functions, so the wording lives in one place. */

export { STEPS };
export const css = (c: Rgb): string => `rgb(${c.r}, ${c.g}, ${c.b})`;
/** The grid LEDs' hues, so a drum has one colour on the box and on the page. */
export const DRUM_COLORS: readonly string[] = LED_DRUM_COLORS.map(css);
/** "closedHat" -> "closed hat". */
export const DRUM_LABELS: readonly string[] = DRUMS.map((name) => name.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`));

/**
 * True when the performer's programmed steps are not what plays: GENERATE
 * makes them real. A drum left to the model never differs; a given drum
 * differs where a programmed step has no note or a note has no step.
 */
export function programmedDiffers(s: PanelSnapshot): boolean {
  if (s.generating) return false;
  const playing = new Set((s.pattern?.notes ?? []).map(([step, drum]) => step * DRUMS.length + drum));
  const linked = s.barsLinked ?? true;
  for (let d = 0; d < DRUMS.length; d++) {
    const score = s.gestures?.scores?.[d];
    if (!score) continue;
    for (let step = 0; step < STEPS; step++) {
      // While linked, bar 2 plays bar 1's steps whatever its own row holds.
      const source = linked && step >= STEPS / 2 ? step - STEPS / 2 : step;
      if (score[source] > 0.5 !== playing.has(step * DRUMS.length + d)) return true;
    }
  }
  return false;
}

/** The LCD's state word: what the box is doing, or what the performer should do next. */
export function lcdState(s: PanelSnapshot): string {
  if (s.take === 'count-in') return s.countIn && s.countIn <= 4 ? `count-in ${s.countIn}` : 'count-in';
  if (s.take === 'recording') return 'recording';
  if (s.generating) return 'generating';
  if (programmedDiffers(s)) return 'press GENERATE to hear your changes';
  return s.playing ? 'playing' : 'stopped';
}

/** One message per take and per generation, from what changed between two snapshots. */
export function messagesFor(before: PanelSnapshot | null, after: PanelSnapshot): string[] {
  if (!before) return [];
  const out: string[] = [];
  if (before.take !== 'count-in' && after.take === 'count-in') out.push('take: count-in, then tap two bars on the pad');
  if (before.take === 'recording' && after.take === 'idle') {
    const hits = after.gestures?.groove ? Array.from(after.gestures.groove.hits).filter((h) => h > 0.5).length : 0;
    out.push(
      hits > 0
        ? `take recorded: ${hits} steps tapped; press GENERATE`
        : 'take ended: no taps heard, the old groove stays',
    );
  }
  // By the count, not by seeing `generating` come and go: a generation can fit between two frames.
  if (after.generations > before.generations) {
    const notes = after.pattern?.notes?.length ?? 0;
    out.push(`generated a new loop with ${after.model}: ${notes} notes${after.playing ? '' : '; press PLAY'}`);
  }
  return out;
}

/** The legends: how to read the "what the model heard" shading and the interpretation view's grid colours. */
export function buildLegends(heard: HTMLElement, mode: HTMLElement): void {
  const item = (swatch: string, text: string, kind = ''): HTMLElement => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = `swatch ${kind}`;
    sw.style.background = swatch;
    li.append(sw, document.createTextNode(text));
    return li;
  };
  heard.replaceChildren(
    item('linear-gradient(90deg, #1d1e23, var(--accent))', 'brighter = more likely the model heard a hit there'),
    item('transparent', 'outlined = a step you programmed', 'outlined'),
    item('var(--accent)', 'groove bars: height = velocity, shift = early/late'),
  );
  mode.replaceChildren(
    item(css(AGREE_COLOR), 'your step, and the model heard it'),
    item(css(MISSED_COLOR), 'your step, the model missed it'),
    item(css(MODEL_COLOR), 'the model adds a hit (brighter = more likely)'),
    item('linear-gradient(90deg, rgb(0,40,255), rgb(255,40,0))', 'groove layer (SHIFT + key S): early blue, late red'),
  );
}
