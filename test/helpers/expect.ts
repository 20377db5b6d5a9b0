/** Awaits a promise that must reject; returns the error so a test can check its type and message. */
import { expect } from "chai";

export async function rejection(promise: Promise<unknown>, message?: RegExp): Promise<Error> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, "the promise should have been rejected").to.be.instanceOf(Error);
  if (message) expect((error as Error).message).to.match(message);
  return error as Error;
}
