// Bounded concurrency for the play: hosts connecting and running at most `forks` at once.

/** A function that runs tasks with at most `limit` at once, in the order they were given. */
export function limiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  const next = () => {
    if (active >= Math.max(1, limit)) return;
    const start = queue.shift();
    if (start) {
      active++;
      start();
    }
  };
  return <T>(fn: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        fn()
          .then(resolve, reject)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
}

/** Run fn over items with at most `limit` at once. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(workers);
}

/** Like limiter, but at most `limit` at once per key (tasks of different keys do not wait for each other). */
export function keyedLimiter(limit: number): <T>(key: string, fn: () => Promise<T>) => Promise<T> {
  const byKey = new Map<string, ReturnType<typeof limiter>>();
  return (key, fn) => {
    let l = byKey.get(key);
    if (!l) byKey.set(key, (l = limiter(limit)));
    return l(fn);
  };
}
