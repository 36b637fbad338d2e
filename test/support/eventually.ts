/** Polls `check` until it stops throwing, for effects that land asynchronously (no timing asserted). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
