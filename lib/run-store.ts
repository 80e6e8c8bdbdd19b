// Values kept for the length of one play run and shared by every host's tasks (h.memo): what one
// host's task worked out once (e.g. which files a server's sendmail uses, which its laptops read
// too). Scoped to the run, not the process: two plays in one process (as the tests run them) never
// see each other's values.

export type Memo = <T>(key: string, compute: () => T | Promise<T>) => Promise<T>;

/** A new store: the first call under a key computes the value, calls meanwhile and after get the
 *  same; a computation that fails is not kept (the next call tries again). */
export function runStore(): Memo {
  const values = new Map<string, Promise<unknown>>();
  return <T>(key: string, compute: () => T | Promise<T>): Promise<T> => {
    let p = values.get(key) as Promise<T> | undefined;
    if (!p) {
      p = Promise.resolve().then(compute);
      values.set(key, p);
      p.catch(() => values.get(key) === p && values.delete(key));
    }
    return p;
  };
}
