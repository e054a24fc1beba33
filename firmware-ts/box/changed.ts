import { Listeners, type Unsubscribe } from '../support/listeners.js';

/**
 * "Something the performer sees has changed." The box's parts raise it (an
 * edit, a status line, a model loading, the playhead moving); the frame loop
 * subscribes and redraws the LEDs and the panel once at its next frame, however
 * often it was raised in between. One signal, so no part needs to know who
 * draws.
 */
export class ChangeSignal {
  readonly #listeners = new Listeners<[]>();

  raise(): void {
    this.#listeners.emit();
  }

  subscribe(listener: () => void): Unsubscribe {
    return this.#listeners.add(listener);
  }
}
