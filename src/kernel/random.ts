/**
 * Spreads a seed over all 32 bits (MurmurHash3's finaliser): xorshift started from a small seed
 * stays small for its first draws, so seeds 1 to 7,900 all took a 50/50 splitter's first branch.
 */
function scramble(seed: number): number {
  let z = (seed + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A seeded source of uniform numbers in [0, 1) (xorshift32), for runs that must repeat exactly:
 * the flow simulator's traffic splitter. Not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let state = scramble(seed >>> 0) || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}
