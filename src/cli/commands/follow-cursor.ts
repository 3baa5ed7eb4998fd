import { CliError } from '../cli-error.ts';

/**
 * Requests page after page, each with the cursor the previous one returned, until the API answers
 * with a null cursor. `onPage` sees each page as it arrives, so that long runs show progress.
 * A cursor seen twice would loop forever, so it is an error naming `what` was being done.
 */
export async function followCursor<P>(
  what: string,
  request: (cursor: string | undefined) => Promise<P>,
  cursorOf: (page: P) => string | null,
  onPage: (page: P) => void,
): Promise<void> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const page = await request(cursor);
    onPage(page);
    const next = cursorOf(page);
    if (next === null) return;
    if (seen.has(next)) throw new CliError(`the API returned the cursor "${next}" twice while ${what}`);
    seen.add(next);
    cursor = next;
  }
}
