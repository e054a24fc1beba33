import { expect } from 'chai';

/**
 * The message a parser refuses `input` with: `attempt` must throw (an error of
 * `type` when given); accepting the input fails the test, naming what was accepted.
 */
export function refusalOf(
  attempt: () => unknown,
  input: unknown,
  type?: abstract new (...args: never[]) => Error,
): string {
  try {
    attempt();
  } catch (error) {
    if (type) expect(error).to.be.instanceOf(type);
    return (error as Error).message;
  }
  throw new Error(`accepted ${typeof input === 'string' ? input : JSON.stringify(input)}`);
}
