/** One registry notification event, recorded and waiting to be handled. */
export interface InboxEntry {
  /** The notification event's id (distribution repeats it on every redelivery). */
  readonly id: string;
  /** The event to hand to the push handler, as JSON. */
  readonly body: string;
  /** Epoch milliseconds when it was recorded. */
  readonly receivedAt: number;
  /** Order of arrival within one run, for entries recorded in the same millisecond. */
  readonly seq: number;
}

/** Earlier arrival first: by time, then by the sequence number of the run that recorded both. */
export function compareArrival(a: InboxEntry, b: InboxEntry): number {
  return a.receivedAt - b.receivedAt || a.seq - b.seq;
}
