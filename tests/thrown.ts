// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

/** What a call threw, or NOTHING_THROWN: lets a test assert either outcome without an expect under `catch`. */
export const NOTHING_THROWN = Symbol('nothing thrown');

export function thrownBy(run: () => unknown): unknown {
  try {
    run();
    return NOTHING_THROWN;
  } catch (error) {
    return error;
  }
}

export async function rejectionOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
    return NOTHING_THROWN;
  } catch (error) {
    return error;
  }
}

/** For `expect(thrownBy(parse)).toSatisfy(nothingOr(PlistError))`: the call succeeded, or failed with one of these. */
export function nothingOr(...allowed: ErrorClass[]): (thrown: unknown) => boolean {
  return (thrown) => thrown === NOTHING_THROWN || allowed.some((type) => thrown instanceof type);
}
