// The bench's "every host's own make + reload at once, without any tool" figure, as pure parts: the
// host script and the reading of what the hosts print.
//
// The hosts are started together at a time set ahead, so that the ssh handshakes are not timed. A
// host whose ssh session arrives after that time starts late, while the others already work: the
// span then holds handshakes (at 1 + 100 on 2 cores, up to 13 s of them) and the figure is wrong.
// So each host prints when it arrived too, and a try with a late host is not a figure: the bench
// tries again with a longer lead.

/** The shell script each host runs: wait until `atMs` (epoch ms), then `work`; prints
 *  "arrived started ended" in epoch ns (the lab's hosts share one kernel, so one clock). */
export function hostsWorkScript(atMs: number, work: string): string {
  if (!Number.isSafeInteger(atMs) || atMs <= 0) throw new Error(`hostsWorkScript: bad start time ${atMs}`);
  return (
    `a=$(date +%s%N); d=$(( ${atMs}000000 - a )); ` +
    `[ "$d" -gt 0 ] && sleep "$(awk -v d="$d" 'BEGIN { printf "%.3f", d / 1e9 }')"; ` +
    `s=$(date +%s%N); ${work} || exit 1; e=$(date +%s%N); echo "$a $s $e"`
  );
}

export interface HostsWorkSpan {
  /** first start to last end, ms */
  spanMs: number;
  /** hosts whose ssh session arrived after the start time */
  late: string[];
  /** how long before the start time the last host arrived, ms (negative: after it) */
  slackMs: number;
}

/** Read the hosts' "arrived started ended" lines (ns) against the start time `atMs`. */
export function hostsWorkSpan(atMs: number, outputs: { host: string; stdout: string }[]): HostsWorkSpan {
  if (!outputs.length) throw new Error('hostsWorkSpan: no hosts');
  const rows = outputs.map(({ host, stdout }) => {
    const f = stdout.trim().split(/\s+/);
    // ns since the epoch are 19 digits: beyond 2^53, so BigInt, then ms relative to atMs
    if (f.length !== 3 || f.some((x) => !/^\d{1,20}$/.test(x))) throw new Error(`${host}: not "arrived started ended" in ns: ${JSON.stringify(stdout.trim())}`);
    const [a, s, e] = f.map((x) => Number(BigInt(x) - BigInt(atMs) * 1_000_000n) / 1e6);
    if (!(a <= s && s <= e)) throw new Error(`${host}: times out of order: ${stdout.trim()}`);
    return { host, a, s, e };
  });
  return {
    spanMs: Math.max(...rows.map((r) => r.e)) - Math.min(...rows.map((r) => r.s)),
    late: rows.filter((r) => r.a > 0).map((r) => r.host),
    slackMs: -Math.max(...rows.map((r) => r.a)),
  };
}

/** The first lead (ms from now to the start time), and the next after a try with late hosts.
 *  `worked`: the lead of the last try with no late host (an earlier round's) and how long before
 *  the start its last host arrived. The next round starts from what that try needed (its lead less
 *  its slack) with half again as margin: on a slow machine the formula's lead is too short for
 *  101 hosts every round, and each failed try costs a whole make + reload of every host. */
export function firstLeadMs(hosts: number, worked?: { leadMs: number; slackMs: number }): number {
  const formula = 3000 + 40 * hosts;
  if (!worked) return formula;
  return Math.max(formula, Math.ceil(1.5 * (worked.leadMs - Math.max(0, worked.slackMs))));
}
export function nextLeadMs(lead: number, overrunMs: number): number {
  return Math.ceil(2 * (lead + Math.max(0, overrunMs)));
}
