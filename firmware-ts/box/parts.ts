import type { GestureCapture } from '../controls/capture.js';
import type { Sequencer } from '../sequencer/sequencer.js';
import type { Clock } from '../time/clock.js';
import type { ChangeSignal } from './changed.js';
import type { Log as BoxLog } from '../support/log.js';
import type { StatusLines } from './status-lines.js';

/** What most of the box's modules work with: the time, the loop, the performer's gestures, and the ways to be seen. */
export interface BoxParts {
  clock: Clock;
  sequencer: Sequencer;
  capture: GestureCapture;
  status: StatusLines;
  changed: ChangeSignal;
  log: BoxLog;
}
