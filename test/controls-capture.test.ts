import { expect } from 'chai';
import type {
  ButtonEvent,
  ButtonName,
  Buttons,
  KeyEvent,
  Rgb,
  StepGrid,
  TapHit,
  TapPad,
} from '../firmware-ts/devices/interfaces.js';
import { Listeners } from '../firmware-ts/support/listeners.js';
import { GestureCapture } from '../firmware-ts/controls/capture.js';
import { PanelModes } from '../firmware-ts/controls/panel-modes.js';
import type { EditorUi } from '../firmware-ts/controls/editor.js';
import { COUNT_IN_COLOR, UNSPECIFIED_COLOR } from '../firmware-ts/controls/led-view.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

/** A panel with no hardware at all: what the virtual web panel does, in twenty lines. */
class VirtualPanel implements StepGrid, Buttons, TapPad {
  keys = new Listeners<[KeyEvent]>(() => {});
  buttons = new Listeners<[ButtonEvent]>(() => {});
  hits = new Listeners<[TapHit]>(() => {});
  down = new Set<ButtonName>();
  frame: readonly Rgb[] = [];
  constructor(readonly clock: OfflineClock) {}
  onKey(l: (e: KeyEvent) => void) {
    return this.keys.add(l);
  }
  async show(colors: readonly Rgb[]) {
    this.frame = colors;
  }
  onButton(l: (e: ButtonEvent) => void) {
    return this.buttons.add(l);
  }
  isDown(b: ButtonName) {
    return this.down.has(b);
  }
  onHit(l: (h: TapHit) => void) {
    return this.hits.add(l);
  }
  async close() {}
  key(key: number) {
    this.keys.emit({ key, pressed: true, time: this.clock.now() });
    this.keys.emit({ key, pressed: false, time: this.clock.now() });
  }
  button(button: ButtonName, pressed: boolean) {
    if (pressed) this.down.add(button);
    else this.down.delete(button);
    this.buttons.emit({ button, pressed, time: this.clock.now() });
  }
}

describe('controls: GestureCapture on any panel implementation', () => {
  it('is driven by a virtual panel through the same interfaces', async () => {
    const clock = new OfflineClock();
    const panel = new VirtualPanel(clock);
    const capture = new GestureCapture({ clock, bpm: () => 100 });
    new PanelModes({ capture }).attach({ grid: panel, buttons: panel, tapPad: panel });
    const actions: string[] = [];
    const views: EditorUi[] = [];
    capture.onChange((_s, action) => actions.push(action));
    capture.onView((ui) => views.push(ui));
    await panel.show(capture.colors());
    expect(panel.frame.every((c) => c === UNSPECIFIED_COLOR)).to.equal(true);
    panel.button('shift', true);
    panel.key(1);
    panel.button('shift', false);
    panel.key(0);
    panel.button('page', true);
    panel.button('page', false);
    panel.key(0);
    // Step 1 plays in both bars (linked); its copy in bar 2, pressed on bar 2, goes off there only and unlinks.
    expect(capture.state.scores[1]!.map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).to.deep.equal([0]);
    expect(capture.state.barsLinked).to.equal(false);
    expect(actions).to.deep.equal(['drum 1 step 1 on', 'drum 1 step 17 off']);
    expect(views.map((v) => `${v.drum}/${v.bar}`)).to.deep.equal(['1/0', '1/1']);
  });

  it('REC during a take cancels it and keeps the groove; the grid counts in', () => {
    const clock = new OfflineClock();
    const panel = new VirtualPanel(clock);
    const capture = new GestureCapture({ clock, bpm: () => 120 });
    new PanelModes({ capture }).attach({ grid: panel, buttons: panel, tapPad: panel });
    panel.button('rec', true);
    panel.button('rec', false);
    expect(capture.recorder.phase()).to.equal('count-in');
    clock.advance(0.6); // second beat of the count-in: two rows lit
    const colors = capture.colors();
    expect(colors.slice(0, 8).every((c) => c === COUNT_IN_COLOR)).to.equal(true);
    expect(colors[8]).to.deep.equal({ r: 0, g: 0, b: 0 });
    clock.advance(1.5);
    panel.hits.emit({ time: clock.now(), velocity: 0.5 });
    panel.button('rec', true);
    expect(capture.recorder.phase()).to.equal('idle');
    clock.advance(10);
    expect(capture.state.groove).to.equal(null);
  });

  it('with the loop running, the count-in rows light over the last 4 beats before the take, not from the REC press', () => {
    const clock = new OfflineClock(5);
    // REC just after a loop start: the take starts on the next one, 31 16ths (7.75 beats at 120 BPM) away.
    const capture = new GestureCapture({ clock, bpm: () => 120, nextDownbeat: () => 5 + 31 * 0.125 });
    const window = capture.rec()!;
    const rows = () => {
      const colors = capture.colors();
      return [0, 4, 8, 12].map((k) => (colors[k] === COUNT_IN_COLOR ? 'lit' : colors[k].r > 0 ? 'dim' : 'off'));
    };
    expect(rows(), 'armed, the count not begun').to.deep.equal(['dim', 'off', 'off', 'off']);
    clock.advanceTo(window.start - 4 * 0.5 + 0.01); // 4 beats to go
    expect(rows()).to.deep.equal(['lit', 'off', 'off', 'off']);
    clock.advanceTo(window.start - 0.5 + 0.01); // the last beat
    expect(rows()).to.deep.equal(['lit', 'lit', 'lit', 'lit']);
  });

  it("REC just after a take's last bar (in the grace for strokes still being scanned) keeps that take and starts the next", () => {
    const clock = new OfflineClock(5);
    const capture = new GestureCapture({ clock, bpm: () => 120, nextDownbeat: () => null, grace: 0.05 });
    const window = capture.rec()!;
    capture.handleHit({ time: window.start + 0.125 * 5, velocity: 0.9 });
    clock.advanceTo(window.end + 0.02);
    const next = capture.rec();
    expect(capture.state.groove!.hits[5], 'the finished take is kept').to.equal(1);
    expect(next, 'and a new one is armed').to.not.equal(null);
    expect(capture.recorder.phase()).to.equal('count-in');
  });

  it("starts a take on the running loop's next downbeat when the transport says so", () => {
    const clock = new OfflineClock(5);
    const capture = new GestureCapture({ clock, bpm: () => 120, nextDownbeat: () => 5.25 });
    const window = capture.rec()!;
    expect(window.start).to.equal(5.25);
    capture.handleHit({ time: 5.25 + 0.125 * 3, velocity: 0.7 });
    clock.advance(5);
    expect(capture.state.groove!.hits[3]).to.equal(1);
  });
});
