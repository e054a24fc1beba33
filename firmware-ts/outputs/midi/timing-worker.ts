import { runTimingThread } from './timing-thread-main.js';

/** The product's entry of the MIDI timing thread (see timing-thread.ts): the thread with no hooks. */
runTimingThread();
