import { expect } from 'chai';
import { ChangeSignal } from '../firmware-ts/box/changed.js';
import { FrameLoop } from '../firmware-ts/box/frame-loop.js';
import { MemoryLogs } from '../firmware-ts/support/log.js';
import { STATUS_LINES, StatusLines } from '../firmware-ts/box/status-lines.js';
import type { ButtonName } from '../firmware-ts/devices/interfaces.js';
import { GestureCapture } from '../firmware-ts/controls/capture.js';
import { PanelModes } from '../firmware-ts/controls/panel-modes.js';
import { PanelPresenter, type PanelParts } from '../firmware-ts/panel/presenter.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

/** The box's parts on their own: what each promises, without booting a box. */
describe('box parts: panel modes, status lines, the frame loop, the panel presenter', () => {
  describe('PanelModes, the one owner of SHIFT and the slot page', () => {
    const rig = () => {
      const clock = new OfflineClock();
      const capture = new GestureCapture({ clock, bpm: () => 120 });
      const calls: string[] = [];
      const modes = new PanelModes({
        capture,
        changed: () => calls.push('changed'),
        play: () => calls.push('play'),
        generate: () => calls.push('generate'),
        slotKey: (slot, save) => calls.push(`${save ? 'save' : 'load'} ${slot}`),
      });
      const button = (name: ButtonName, pressed: boolean) =>
        modes.handleButton({ button: name, pressed, time: clock.now() });
      const key = (k: number, pressed = true) => modes.handleKey({ key: k, pressed, time: clock.now() });
      return { capture, modes, calls, button, key };
    };

    it('hands SHIFT as it holds it to the editor: SHIFT + key 3 selects the closed hat, key 3 alone sets a step', () => {
      const { capture, modes, button, key } = rig();
      button('shift', true);
      expect(modes.shift).to.equal(true);
      key(2);
      button('shift', false);
      expect(modes.shift).to.equal(false);
      expect(capture.ui.drum).to.equal(2);
      key(2);
      expect(capture.state.scores[2]![2]).to.equal(1);
    });

    it('SHIFT + PLAY opens the slot page; a key there loads that slot (with SHIFT held: saves into it) and closes the page', () => {
      const { modes, calls, button, key } = rig();
      button('shift', true);
      button('play', true);
      button('play', false);
      button('shift', false);
      expect(modes.slotPage).to.equal(true);
      expect(calls).to.not.include('play');
      key(4, false); // a release on the slot page does nothing
      expect(modes.slotPage).to.equal(true);
      key(4);
      expect(modes.slotPage).to.equal(false);
      button('shift', true);
      button('play', true);
      button('play', false);
      key(7);
      button('shift', false);
      expect(calls.filter((c) => c !== 'changed')).to.deep.equal(['load 4', 'save 7']);
    });

    it('PLAY and GENERATE go to whoever was given for them; every key and button says something changed', () => {
      const { calls, button, key } = rig();
      button('play', true);
      button('play', false);
      button('generate', true);
      button('generate', false);
      key(0);
      expect(calls.filter((c) => c !== 'changed')).to.deep.equal(['play', 'generate']);
      expect(calls.filter((c) => c === 'changed')).to.have.length(5);
    });
  });

  describe('StatusLines', () => {
    it('keeps the newest lines first, capped for every writer; say logs, show does not; each line raises the change signal', () => {
      const logs = new MemoryLogs();
      const changed = new ChangeSignal();
      let raised = 0;
      changed.subscribe(() => raised++);
      const status = new StatusLines(logs.factory('box'), changed);
      status.say('said');
      for (let i = 0; i < STATUS_LINES + 3; i++) status.show(`shown ${i}`);
      const lines = status.lines();
      expect(lines).to.have.length(STATUS_LINES);
      expect(lines[0]).to.equal(`shown ${STATUS_LINES + 2}`);
      expect(status.latest).to.equal(lines[0]);
      expect(lines).to.not.include('said');
      expect(logs.lines.map((l) => l.message)).to.deep.equal(['said']);
      expect(raised).to.equal(STATUS_LINES + 4);
      lines.length = 0;
      expect(status.lines(), 'a copy: the caller cannot cut the status').to.have.length(STATUS_LINES);
    });
  });

  describe('FrameLoop', () => {
    it('draws the first frame, then once per frame after the change signal however often it was raised, and nothing after stop', () => {
      const clock = new OfflineClock();
      const changed = new ChangeSignal();
      let draws = 0;
      let movePlayhead = false;
      const frames = new FrameLoop({
        clock,
        changed,
        interval: 0.1,
        poll: () => {
          if (movePlayhead) changed.raise();
        },
        draw: () => draws++,
      });
      frames.start();
      expect(draws, 'the first frame').to.equal(1);
      clock.advance(0.35);
      expect(draws, 'nothing changed').to.equal(1);
      changed.raise();
      changed.raise();
      changed.raise();
      expect(draws, 'not before the next frame').to.equal(1);
      clock.advance(0.1);
      expect(draws, 'three raises, one frame').to.equal(2);
      movePlayhead = true;
      clock.advance(0.1);
      expect(draws, 'a change raised while polling is drawn in that frame').to.equal(3);
      frames.stop();
      clock.advance(1);
      expect(draws).to.equal(3);
    });
  });

  describe('PanelPresenter', () => {
    it('converts the loop to JSON once per new loop, not once per snapshot, and publishes to a view that throws without throwing', () => {
      const clock = new OfflineClock();
      const capture = new GestureCapture({ clock, bpm: () => 120 });
      let conversions = 0;
      class CountedPattern extends Pattern {
        override toJSON() {
          conversions++;
          return super.toJSON();
        }
      }
      let loop = new CountedPattern().set(0, 0, 0.9);
      const parts: PanelParts = {
        leds: { colors: () => [] },
        playhead: { step: 3 },
        sequencer: { playing: true, targetBpm: 97 },
        capture,
        model: { model: 'ag11', heard: null, generating: false, generations: 0 },
        models: ['ag11', 'ag2'],
        status: { lines: () => ['hello'] },
        loop: () => loop,
      };
      const presenter = new PanelPresenter(parts);
      const first = presenter.snapshot();
      presenter.snapshot();
      expect(conversions).to.equal(1);
      expect(first.pattern.notes).to.have.length(1);
      expect(first).to.include({
        playhead: 3,
        playing: true,
        bpm: 97,
        page: 0,
        mode: 'score',
        drum: 0,
        model: 'ag11',
        take: 'idle',
        generating: false,
        generations: 0,
        barsLinked: true,
      });
      expect(first.status).to.deep.equal(['hello']);
      expect(first.reconstructions).to.equal(null);
      loop = new CountedPattern().set(0, 0, 0.9).set(4, 1, 0.5);
      expect(presenter.snapshot().pattern.notes).to.have.length(2);
      expect(conversions).to.equal(2);
      capture.load({ ...capture.state, barsLinked: false });
      expect(presenter.snapshot().barsLinked).to.equal(false);
      const warnings: string[] = [];
      presenter.publish(
        {
          publish: () => {
            throw new Error('socket gone');
          },
        },
        (m) => warnings.push(m),
      );
      expect(warnings).to.deep.equal(['panel publish failed: socket gone']);
    });
  });
});
