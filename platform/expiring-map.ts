/**
 * A map whose entries expire at a time given when each is set, holding at most `maxEntries` (the
 * oldest set is forgotten first). What the gateway's caches of verified tokens and of reference
 * entities share.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value of `key` if it has not expired; an expired entry is dropped on the way. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry && this.now() < entry.until) return entry.value;
    if (entry) this.entries.delete(key);
    return undefined;
  }

  /** Stores `value` until `until` (ms since the epoch, on the map's clock). */
  set(key: string, value: V, until: number): void {
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until });
  }

  deleteWhereKeyStartsWith(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
