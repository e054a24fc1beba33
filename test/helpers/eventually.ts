/**
 * Waits for something another thread does (a worker starting, a message
 * arriving): checks the condition at every turn of the event loop's timers.
 * The limit is a guard against a test that would otherwise hang, far above
 * how long any of it takes on a loaded machine; no assertion rests on it.
 * `what` names the wait in the failure; given as a function it is asked only
 * then, so it can say where things stood when the wait ran out.
 */
export async function eventually(
  condition: () => boolean,
  what: string | (() => string) = 'a condition',
  limitMs = 60_000,
): Promise<void> {
  const end = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > end)
      throw new Error(`timed out after ${limitMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
