/**
 * Long-lived GainNodes that hits borrow for their loudness, one hit at a
 * time each, instead of a new GainNode per hit. node-web-audio-api keeps a
 * GainNode in the render graph (processing every block, holding its memory)
 * until V8 collects its JS wrapper, and V8, which cannot see that memory,
 * may not do so for minutes: a GainNode per hit grew RSS by megabytes a
 * minute. A buffer source, by contrast, leaves the graph once it has played.
 *
 * A lane is free once its last hit has ended, so setting its gain at the next
 * hit's start touches no other hit. There are as many lanes as hits ever
 * sounded at once (about 65 for all nine drums on every 16th at 180 BPM).
 */
/** Twice what the densest pattern needs (all nine drums on every 16th at 180 BPM: about 65). */
export const MAX_LANES = 128;

export class GainLanes {
  readonly #ctx: BaseAudioContext;
  readonly #out: AudioNode;
  readonly #lanes: { node: GainNode; busyUntil: number }[] = [];

  constructor(ctx: BaseAudioContext, out: AudioNode) {
    this.#ctx = ctx;
    this.#out = out;
  }

  get size(): number {
    return this.#lanes.length;
  }

  /**
   * A lane that applies `gain` from context time `from` and is lent until
   * `until`, or null when all MAX_LANES are busy: a lane is never freed, so a
   * burst (notes piled up after a stall) must not grow the graph for good.
   */
  take(from: number, until: number, gain: number): GainNode | null {
    let lane = this.#lanes.find((l) => l.busyUntil <= from);
    if (!lane) {
      if (this.#lanes.length >= MAX_LANES) return null;
      const node = this.#ctx.createGain();
      node.connect(this.#out);
      lane = { node, busyUntil: 0 };
      this.#lanes.push(lane);
    }
    lane.busyUntil = until;
    lane.node.gain.setValueAtTime(gain, from);
    return lane.node;
  }
}
