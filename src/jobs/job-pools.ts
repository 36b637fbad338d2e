/**
 * Job types that run in places of their own on one worker, apart from its shared slots: how many
 * of each run now, and which ones a claim pass found full (due jobs of theirs may be waiting).
 */
export class JobPools {
  private readonly pools = new Map<string, { size: number; running: number }>();
  private readonly starved = new Set<string>();

  /** `sizes`: places per type; types the worker does not run are ignored. */
  constructor(sizes: Readonly<Record<string, number>>, types: readonly string[]) {
    for (const [type, size] of Object.entries(sizes)) if (types.includes(type)) this.pools.set(type, { size, running: 0 });
  }

  has(type: string): boolean {
    return this.pools.has(type);
  }

  /** Free places of a pooled type; undefined for a type that takes the shared slots. */
  room(type: string): number | undefined {
    const pool = this.pools.get(type);
    return pool && pool.size - pool.running;
  }

  types(): string[] {
    return [...this.pools.keys()];
  }

  take(type: string): void {
    const pool = this.pools.get(type);
    if (pool) pool.running += 1;
  }

  /** A job of the type ended; true when a pass found its pool full since, so jobs may be waiting for the place. */
  release(type: string): boolean {
    const pool = this.pools.get(type);
    if (!pool) return false;
    pool.running -= 1;
    return this.starved.delete(type);
  }

  /** A pass left the type's pool full. */
  starve(type: string): void {
    this.starved.add(type);
  }

  /** Whether a due job of the type would be claimed now (its pool, if any, was not found full). */
  claimable(type: string): boolean {
    return !this.starved.has(type);
  }
}
