// Bounded concurrency for the play: hosts running at most `forks` at once, handshakes per SSH server.

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

/** Like limiter, but at most `limit` at once per key (tasks of different keys do not wait for each other). */
export function keyedLimiter(limit: number): <T>(key: string, fn: () => Promise<T>) => Promise<T> {
  const byKey = new Map<string, ReturnType<typeof limiter>>();
  return (key, fn) => {
    let l = byKey.get(key);
    if (!l) byKey.set(key, (l = limiter(limit)));
    return l(fn);
  };
}
