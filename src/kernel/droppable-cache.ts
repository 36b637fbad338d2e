/**
 * Values loaded once per key and kept until dropped, for data that changes rarely and is read on
 * every request (an account's configuration). The caller drops a key after committing a change
 * to it, and every node drops it when told of the change. A load in progress when its key is
 * dropped still answers the callers that were waiting for it, but is not kept: every read that
 * starts after a drop loads again. Failed loads are not kept either. At most `capacity` keys are
 * held; past that the cache starts over.
 */
export class DroppableCache<K, V> {
  private readonly entries = new Map<K, Promise<V>>();

  constructor(private readonly capacity: number) {}

  get(key: K, load: () => Promise<V>): Promise<V> {
    const cached = this.entries.get(key);
    if (cached) return cached;
    if (this.entries.size >= this.capacity) this.entries.clear();
    const loading = load();
    this.entries.set(key, loading);
    loading.catch(() => {
      if (this.entries.get(key) === loading) this.entries.delete(key);
    });
    return loading;
  }

  drop(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
