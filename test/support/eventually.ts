/**
 * Polls `check` until it returns a value (anything but undefined) and returns that value; fails
 * naming `what` after `timeoutMs`. For tests that wait on another process (a registry, a runner,
 * a child that must exit); a check that throws fails the wait, unless the caller catches.
 */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
