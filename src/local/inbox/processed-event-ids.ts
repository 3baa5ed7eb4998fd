/**
 * The ids of notification events already handled, most recent last, at most `capacity` of them.
 *
 * distribution redelivers an event until it gets a 2xx (same id every time) and a push may be
 * redelivered after the handler already ran; remembering ids saves running it twice. It is only an
 * optimisation: the handler is idempotent, so an id that fell out of the window is merely handled
 * again. A Map keeps insertion order, which makes it an LRU with O(1) touch and eviction.
 */
export class ProcessedEventIds {
  readonly #capacity: number;
  readonly #ids = new Map<string, true>();

  constructor(capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ProcessedEventIds capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  /** Whether `id` was handled; a hit makes it the most recently used. */
  has(id: string): boolean {
    if (!this.#ids.has(id)) return false;
    this.#ids.delete(id);
    this.#ids.set(id, true);
    return true;
  }

  /** Records `id` as handled, forgetting the least recently used id when full. */
  add(id: string): void {
    this.#ids.delete(id);
    this.#ids.set(id, true);
    if (this.#ids.size > this.#capacity) {
      const oldest = this.#ids.keys().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
  }

  get size(): number {
    return this.#ids.size;
  }
}
