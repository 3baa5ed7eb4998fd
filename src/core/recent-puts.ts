/**
 * The tags this process put an index under lately, each with the digest it put. The registry sends
 * a push event for every put (ECR for the version tag, distribution for every manifest), and a
 * tag the repository's `tagPattern` does not match needs no store read to be ignored: this memory
 * lets that event say why ("published itself") at no cost. It is a hint: a miss still ignores the
 * event by its tag, and a tag the pattern matches is always checked in the store.
 */
export class RecentPuts {
  readonly #keys = new Set<string>();
  readonly #limit: number;

  constructor(limit = 1_000) {
    this.#limit = limit;
  }

  add(repository: string, tag: string, digest: string): void {
    const key = JSON.stringify([repository, tag, digest]);
    this.#keys.delete(key);
    this.#keys.add(key);
    // A Set iterates in insertion order: the first key is the oldest.
    for (const oldest of this.#keys) {
      if (this.#keys.size <= this.#limit) break;
      this.#keys.delete(oldest);
    }
  }

  has(repository: string, tag: string, digest: string): boolean {
    return this.#keys.has(JSON.stringify([repository, tag, digest]));
  }
}
