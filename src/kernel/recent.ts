/**
 * A bounded memory of recent keys: two generations of at most `capacity` entries each; when the
 * current one fills it becomes the previous and the oldest generation is dropped whole. O(1) per
 * operation, unlike evicting a Map's oldest key one at a time.
 */
export class Recent<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    return this.current.get(key) ?? this.previous.get(key);
  }

  set(key: K, value: V): void {
    if (this.current.size >= this.capacity) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  delete(key: K): void {
    this.current.delete(key);
    this.previous.delete(key);
  }
}
