import { describe, expect, it } from 'vitest';
import { hashSecret, SecretVerifier } from './secrets.js';

describe('SecretVerifier', () => {
  it('accepts the secret and refuses others; after 5 wrong ones in a minute it refuses unheard secrets unhashed until the minute ends', async () => {
    let now = 0;
    const verifier = new SecretVerifier(() => now);
    const stored = await hashSecret('the-right-secret');
    for (let i = 0; i < 4; i++) expect(await verifier.verify(`guess-${i}`, stored)).toBe(false);
    expect(verifier.lockedFor(stored)).toBeUndefined();
    expect(await verifier.verify('guess-4', stored)).toBe(false);
    expect(verifier.lockedFor(stored)).toBe(60_000);
    // Throttled: even the right secret, not remembered yet, is refused for now, and it says for how long.
    expect(await verifier.verify('the-right-secret', stored)).toBe(false);
    now += 15_000;
    expect(verifier.lockedFor(stored)).toBe(45_000);
    now += 45_000;
    expect(verifier.lockedFor(stored)).toBeUndefined();
    expect(await verifier.verify('the-right-secret', stored)).toBe(true);
    // Remembered: guesses that follow do not lock its owner out.
    for (let i = 0; i < 6; i++) expect(await verifier.verify(`guess-${i}`, stored)).toBe(false);
    expect(await verifier.verify('the-right-secret', stored)).toBe(true);
  });

  it('remembers a secret against its stored hash only: a new hash (a replaced secret) is checked again', async () => {
    const verifier = new SecretVerifier(() => 0);
    const first = await hashSecret('s1');
    expect(await verifier.verify('s1', first)).toBe(true);
    expect(await verifier.verify('s1', await hashSecret('s2'))).toBe(false);
  });
});
