/** Where a command writes: one call per line or block, the newline added by the writer. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}
