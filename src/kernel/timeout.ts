/**
 * Rejects when `work` has not settled within `ms`. The work itself goes on; its eventual
 * rejection is observed here so it never surfaces as an unhandled rejection.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
