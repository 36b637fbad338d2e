/**
 * A queue shared by several owners (accounts) that serves them in turn: each owner's items come
 * out in the order they went in, and an owner with a thousand items waiting takes one turn, like
 * an owner with one. So one tenant's burst delays another's next item by at most one item per
 * owner ahead of it, not by the whole burst.
 */
export class FairQueue<T> {
  /** Owners with items waiting, in the order of their next turn (a Map keeps insertion order). */
  private readonly byOwner = new Map<string, T[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(owner: string, item: T): void {
    const items = this.byOwner.get(owner);
    if (items) items.push(item);
    else this.byOwner.set(owner, [item]);
    this.count += 1;
  }

  /** The item whose turn is next, left in the queue. */
  peek(): T | undefined {
    for (const items of this.byOwner.values()) return items[0];
    return undefined;
  }

  /** Takes the item whose turn is next; its owner, if it has more, goes to the back of the turns. */
  shift(): T | undefined {
    for (const [owner, items] of this.byOwner) {
      const item = items.shift();
      this.byOwner.delete(owner);
      if (items.length > 0) this.byOwner.set(owner, items);
      this.count -= 1;
      return item;
    }
    return undefined;
  }
}
