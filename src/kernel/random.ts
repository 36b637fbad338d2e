/**
 * A seeded source of uniform numbers in [0, 1) (xorshift32), for runs that must repeat exactly:
 * the flow simulator's traffic splitter. Not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let state = (seed >>> 0) || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}
