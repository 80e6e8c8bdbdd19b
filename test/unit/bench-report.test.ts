// The bench's pure parts: the SVG chart (well-formed, points where they belong, labels), the samples
// file (old format read, runs of several host counts merged), issue 15's targets and the bench
// inventory (exactly the run's hosts).
import test from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { logTicks, niceStep, svgChart } from '../../bench/chart.js';
import { buildReport, chartSvg, emptySamples, growthTable, mergeRun, roundsPerTool, parseSamples, targets, type HostRun, type Kind, type Sample, type Tool } from '../../bench/report.js';
import { benchInventory } from '../../bench/inventory.js';

// A strict well-formedness check of the small XML subset an SVG writer emits (elements, attributes,
// text, entity references; no comments, CDATA, PIs or DTD, which svgChart never writes). Written
// here rather than taken from a library: the project has no XML parser among its dependencies, and
// this subset needs only a tokenizer and a stack.
interface XmlEl {
  name: string;
  attrs: Record<string, string>;
  children: XmlEl[];
  text: string;
}
function parseXml(src: string): XmlEl {
  const NAME = '[A-Za-z_][\\w.:-]*';
  const text = (s: string, where: string) => {
    assert.ok(!/[<>]/.test(s), `bare < or > in ${where}: ${s}`);
    assert.ok(!/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(s), `bare & in ${where}: ${s}`);
    return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  };
  const stack: XmlEl[] = [];
  let rootEl: XmlEl | undefined;
  let i = 0;
  const tagRe = new RegExp(`<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*"[^"]*")*)\\s*(/?)>`, 'y');
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const chunk = src.slice(i, lt < 0 ? src.length : lt);
    if (chunk.trim()) {
      assert.ok(stack.length, `text outside the root element: ${chunk.trim()}`);
      stack[stack.length - 1].text += text(chunk, 'text');
    }
    if (lt < 0) break;
    tagRe.lastIndex = lt;
    const m = tagRe.exec(src);
    assert.ok(m, `malformed tag at ${lt}: ${src.slice(lt, lt + 60)}`);
    const [whole, close, name, attrText, selfClose] = m;
    if (close) {
      assert.ok(!attrText && !selfClose, `closing tag with attributes: ${whole}`);
      const open = stack.pop();
      assert.equal(open?.name, name, `</${name}> closes <${open?.name}>`);
    } else {
      const attrs: Record<string, string> = {};
      for (const a of attrText.matchAll(new RegExp(`(${NAME})\\s*=\\s*"([^"]*)"`, 'g'))) {
        assert.ok(!(a[1] in attrs), `attribute ${a[1]} twice in <${name}>`);
        attrs[a[1]] = text(a[2], `attribute ${a[1]}`);
      }
      const el: XmlEl = { name, attrs, children: [], text: '' };
      if (stack.length) stack[stack.length - 1].children.push(el);
      else {
        assert.equal(rootEl, undefined, 'a second root element');
        rootEl = el;
      }
      if (!selfClose) stack.push(el);
    }
    i = lt + whole.length;
  }
  assert.equal(stack.length, 0, `unclosed: ${stack.map((e) => e.name).join(' > ')}`);
  assert.ok(rootEl, 'no root element');
  return rootEl;
}
const all = (el: XmlEl, pred: (e: XmlEl) => boolean): XmlEl[] => [...(pred(el) ? [el] : []), ...el.children.flatMap((c) => all(c, pred))];
const texts = (el: XmlEl): string[] => all(el, (e) => e.name === 'text').map((e) => e.text);

test('parseXml (the check itself) refuses what is not well-formed', () => {
  assert.doesNotThrow(() => parseXml('<svg a="1"><g><text>x &amp; y</text></g><line/></svg>'));
  assert.throws(() => parseXml('<svg><g></svg>'), /closes/);
  assert.throws(() => parseXml('<svg><text>a & b</text></svg>'), /bare &/);
  assert.throws(() => parseXml('<svg a=1></svg>'), /malformed tag/);
  assert.throws(() => parseXml('<svg></svg><svg></svg>'), /second root/);
  assert.throws(() => parseXml('<svg><g>'), /unclosed/);
});

test('svgChart: well-formed SVG, points left to right and higher for more seconds, every label present', () => {
  const svg = svgChart({
    title: 'Wall time <against> hosts & "tools"',
    xLabel: 'hosts',
    yLabel: 'seconds (log scale)',
    panels: [
      {
        title: 'first deploy + pair',
        series: [
          { name: 'ours', color: '#1f77b4', points: [{ x: 101, y: 14 }, { x: 21, y: 6 }, { x: 51, y: 9 }] },
          { name: 'ansible <cold>', color: '#d62728', points: [{ x: 21, y: 45 }, { x: 101, y: 210 }] },
          { name: 'never measured', color: '#000000', points: [] },
        ],
      },
      { title: 'no-change run', series: [{ name: 'floor', color: '#7f7f7f', dash: '3 3', points: [{ x: 21, y: 1.2 }, { x: 101, y: 2.5 }] }] },
    ],
  });
  const doc = parseXml(svg);
  assert.equal(doc.name, 'svg');
  assert.equal(doc.attrs.xmlns, 'http://www.w3.org/2000/svg');
  assert.match(doc.attrs.viewBox, /^0 0 \d+ \d+$/);
  const labels = texts(doc);
  for (const l of ['Wall time <against> hosts & "tools"', 'first deploy + pair', 'no-change run', 'hosts', 'seconds (log scale)', 'ours', 'ansible <cold>', 'floor', 'never measured']) {
    assert.ok(labels.includes(l), `label ${l} missing from ${JSON.stringify(labels)}`);
  }
  // the y ticks cover the data: 1 s .. 500 s on a 1-2-5 log axis
  const yTicks = all(doc, (e) => e.attrs.class === 'y-tick').map((e) => e.text);
  assert.equal(yTicks[0], '1');
  assert.equal(yTicks[yTicks.length - 1], '500');
  const series = all(doc, (e) => e.attrs.class === 'series');
  assert.deepEqual(series.map((s) => s.attrs['data-name']), ['ours', 'ansible <cold>', 'floor'], 'a series with no points is not drawn');
  const pts = (s: XmlEl) => s.children.filter((c) => c.name === 'circle').map((c) => ({ x: Number(c.attrs.cx), y: Number(c.attrs.cy) }));
  const ours = pts(series[0]);
  assert.equal(ours.length, 3);
  // sorted by hosts: x grows; seconds grow (6 < 9 < 14), so the SVG y (downwards) shrinks
  for (let i = 1; i < ours.length; i++) {
    assert.ok(ours[i].x > ours[i - 1].x, `x not increasing: ${JSON.stringify(ours)}`);
    assert.ok(ours[i].y < ours[i - 1].y, `y not rising: ${JSON.stringify(ours)}`);
  }
  // the polyline goes through the same points, in the same order
  const poly = series[0].children.find((c) => c.name === 'polyline')!;
  assert.deepEqual(poly.attrs.points.split(' ').map((p) => p.split(',').map(Number)), ours.map((p) => [p.x, p.y]));
  // Ansible at 21 hosts is drawn above ours at 21 hosts, at the same x
  const ans = pts(series[1]);
  assert.equal(ans[0].x, ours[0].x);
  assert.ok(ans[0].y < ours[0].y);
  // every point inside the canvas
  const [, , w, h] = doc.attrs.viewBox.split(' ').map(Number);
  for (const p of [...ours, ...ans]) assert.ok(p.x > 0 && p.x < w && p.y > 0 && p.y < h);
  // the second panel is shifted right by a panel's width
  const panels = all(doc, (e) => e.attrs.class === 'panel');
  assert.equal(panels.length, 2);
  assert.match(panels[1].attrs.transform, /^translate\(4\d\d,/);
});

test('svgChart: no data at all, and one value only, still give a well-formed chart with an axis', () => {
  const empty = parseXml(svgChart({ title: 't', xLabel: 'x', yLabel: 'y', panels: [{ title: 'p', series: [{ name: 's', color: '#000', points: [] }] }] }));
  assert.equal(all(empty, (e) => e.name === 'circle').length, 0);
  const one = parseXml(svgChart({ title: 't', xLabel: 'x', yLabel: 'y', panels: [{ title: 'p', series: [{ name: 's', color: '#000', points: [{ x: 4, y: 2 }] }] }] }));
  assert.deepEqual(all(one, (e) => e.attrs.class === 'y-tick').map((e) => e.text), ['1', '2', '5']);
  assert.equal(all(one, (e) => e.name === 'circle').length, 1);
});

test('niceStep and logTicks', () => {
  assert.equal(niceStep(101), 20);
  assert.equal(niceStep(21), 5);
  assert.equal(niceStep(4), 1);
  assert.equal(niceStep(13.65), 5, 'no step of 2.5 hosts');
  assert.equal(niceStep(130), 25);
  assert.deepEqual(logTicks(1.2, 45), [1, 2, 5, 10, 20, 50]);
  assert.deepEqual(logTicks(0.8, 3), [0.5, 1, 2, 5]);
  assert.deepEqual(logTicks(2, 2), [1, 2, 5]);
});

// ------------------------------------------------------------------ samples and targets

function sample(tool: Tool, kind: Kind, round: number, ms: number, floorNpmMs: number, rssKb = 70_000): Sample {
  return { tool, kind, round, ms, floorNpmMs, floorNodeMs: floorNpmMs * 0.75, rssKb };
}
function hostRun(laptops: number, f: (tool: Tool, kind: Kind) => number, floor: number, reload = 2000, rssKb = 70_000): HostRun {
  const samples: Sample[] = [];
  for (const round of [1, 2, 3]) {
    for (const tool of ['ours', 'ansible-cold', 'ansible-warm'] as Tool[]) {
      for (const kind of ['first', 'nochange', 'nochange', 'regen'] as Kind[]) samples.push(sample(tool, kind, round, f(tool, kind) * (1 + round / 100), floor * (1 + round / 100), rssKb));
    }
  }
  return { laptops, started: '2026-12-01T10:00:00.000Z', rounds: 3, forks: 10, machine: 'Machine: test', versions: { node: 'v20' }, samples, reloadMs: [reload, reload + 10, reload - 10] };
}
const fast = (tool: Tool, kind: Kind) => (tool === 'ours' ? { first: 5000, nochange: 1400, regen: 5000 }[kind] : 30 * { first: 5000, nochange: 1400, regen: 5000 }[kind]);

test('samples: the older bench file reads as one run of 20 with cold Ansible; runs of other host counts are kept, the same count replaced or appended', () => {
  const old = parseSamples(JSON.stringify({ samples: [sample('ours', 'first', 1, 11000, 1300), { ...sample('ours', 'first', 1, 44000, 1300), tool: 'ansible' }], ansibleTrips: { '198.18.0.10': 8 } }));
  assert.deepEqual(Object.keys(old.runs), ['20']);
  assert.deepEqual(old.runs['20'].samples.map((s) => s.tool), ['ours', 'ansible-cold']);
  assert.equal(old.runs['20'].ansibleTrips?.['198.18.0.10'], 8);
  assert.throws(() => parseSamples('{"x":1}', 'f.json'), /^Error: bench: f\.json holds neither/);
  assert.throws(() => parseSamples('nope', 'f.json'), /^Error: bench: f\.json is not JSON/);

  const r100 = hostRun(100, fast, 2000);
  let f = mergeRun(old, r100);
  assert.deepEqual(Object.keys(f.runs).sort(), ['100', '20']);
  const r20 = hostRun(20, fast, 1200);
  f = mergeRun(f, r20);
  assert.equal(f.runs['20'], r20, 'a run replaces the samples of its host count');
  assert.equal(f.runs['100'], r100);
  const appended = mergeRun(f, hostRun(20, fast, 1200), true);
  assert.equal(appended.runs['20'].samples.length, 2 * r20.samples.length);
  assert.equal(appended.runs['20'].rounds, 6);
  assert.deepEqual([...new Set(appended.runs['20'].samples.map((s) => s.round))], [1, 2, 3, 4, 5, 6]);
  assert.equal(appended.runs['20'].reloadMs.length, 6);
  assert.equal(roundsPerTool(appended.runs['20']), 'ours 6, Ansible cold 6, Ansible warm 6');
  // another tool's rounds appended (e.g. Ansible only): each tool counts its own
  const oursOnly = { ...r20, samples: r20.samples.filter((s) => s.tool === 'ours') };
  const ansibleOnly = { ...r20, samples: r20.samples.filter((s) => s.tool !== 'ours').filter((s) => s.round < 3) };
  assert.equal(roundsPerTool(mergeRun(mergeRun(emptySamples(), oursOnly), ansibleOnly, true).runs['20']), 'ours 3, Ansible cold 2, Ansible warm 2');
  // round trip through JSON (the file) keeps everything
  assert.deepEqual(parseSamples(JSON.stringify(appended)), JSON.parse(JSON.stringify(appended)));
  assert.equal(r20.samples.length, 36, 'merging does not touch its inputs');
});

test('targets: met and not met from the figures of 20 and 100 laptops; not measured when a count is missing', () => {
  let f = mergeRun(emptySamples(), hostRun(20, fast, 1200));
  let t = targets(f);
  const byWhat = (re: RegExp) => t.find((x) => re.test(x.what))!;
  // ours no-change 1400 / floor 1200 = 1.17 ≤ 1.2
  assert.equal(byWhat(/1 \+ 20, no-change run ≤ 1\.2×/).met, true);
  assert.match(byWhat(/1 \+ 20, no-change run ≤ 1\.2×/).shown, /^1\.17×$/);
  assert.equal(byWhat(/1 \+ 20, no-change run ≥ 20×/).met, true);
  assert.match(byWhat(/1 \+ 20, no-change run ≥ 20×/).shown, /^30\.0× \(cold masters: 30\.0×\)$/);
  // first: 5000 against 3 × 1200 + 2000 = 5600
  assert.equal(byWhat(/first deploy \+ pair ≤ 3×/).met, true);
  assert.equal(byWhat(/1 \+ 100, no-change/).met, undefined);
  assert.match(byWhat(/1 \+ 100, no-change/).shown, /not measured \(no run with `--hosts 100`\)/);
  assert.equal(buildReport(f).ok, true);

  // 100 laptops: first deploy 2.4× the time for 20, RSS 160 MB, no-change 1.5× its floor
  const slow100 = (tool: Tool, kind: Kind) => (tool === 'ours' ? { first: 12000, nochange: 3000, regen: 12000 }[kind] : 200_000);
  f = mergeRun(f, hostRun(100, slow100, 2000, 2000, 160 * 1024));
  t = targets(f);
  assert.equal(byWhat(/1 \+ 100, no-change/).met, false);
  assert.equal(byWhat(/1 \+ 100, first deploy \+ pair ≤ 2×/).met, false);
  assert.match(byWhat(/1 \+ 100, first deploy \+ pair ≤ 2×/).shown, /^12\.\d\d s against 5\.\d\d s: 2\.40×$/);
  assert.equal(byWhat(/peak RSS/).met, false);
  assert.equal(byWhat(/peak RSS/).shown, '160 MB');
  const rep = buildReport(f, { chartRef: 'bench/chart.svg' });
  assert.equal(rep.ok, false);
  assert.match(rep.text, /- 1 \+ 100, peak RSS < 150 MB: \*\*NOT met\*\* \(160 MB\)/);
  assert.match(rep.text, /!\[Wall time against hosts\]\(bench\/chart\.svg\)/);
  assert.match(rep.text, /### 1 server \+ 20 laptops[\s\S]*### 1 server \+ 100 laptops/);
  // the growth table: one column per host count, then the factor from 21 to 101 hosts
  assert.match(rep.text, /\| figure \| 21 hosts \| 101 hosts \| 101 \/ 21 hosts \| per added host \|/);
  assert.match(rep.text, /\| ours \(npm run deploy\): first deploy \+ pair \| 5\.\d\d s \| 12\.\d\d s \| 2\.40× \| \d+ ms \|/);
  assert.match(rep.text, /\| peak RSS, ours \(max\) \| 68 MB \| 160 MB \| 2\.34× \|/);
  assert.match(rep.text, /One Debian reload[^\n]*: 2\.00 s \(1\.99–2\.01, 3 times\)/);

  // the two counts measured on different days: their absolute times are not compared
  const later = { ...f.runs['100'], started: '2026-12-03T17:00:00.000Z' };
  t = targets(mergeRun(f, later));
  assert.equal(byWhat(/1 \+ 100, first deploy \+ pair ≤ 2×/).met, undefined);
  assert.match(byWhat(/1 \+ 100, first deploy \+ pair ≤ 2×/).shown, /^not comparable: 1 \+ 20 measured 2026-12-01 10:00 UTC, 1 \+ 100 measured 2026-12-03 17:00 UTC; measure both in one session \(starts within 3 h\)$/);
  assert.match(growthTable(mergeRun(f, later)), /\n\nMeasured apart \(1 \+ 20 measured 2026-12-01 10:00 UTC, 1 \+ 100 measured 2026-12-03 17:00 UTC; measure both in one session \(starts within 3 h\)\): the growth mixes/);
  assert.doesNotMatch(growthTable(f), /Measured apart/);
  const growth = (started: string) => targets(mergeRun(f, { ...later, started })).find((x) => /2× the time for 20/.test(x.what))!;
  assert.equal(growth('2026-12-01T12:30:00.000Z').met, false, 'within 3 h: compared');
  assert.equal(growth('2026-12-01T07:30:00.000Z').met, false, 'within 3 h before: compared');
  assert.equal(growth('2026-12-01T15:20:00.000Z').met, undefined, 'the same day, 5 h 20 apart: not compared');
  assert.match(growth('2026-12-01T15:20:00.000Z').shown, /^not comparable: 1 \+ 20 measured 2026-12-01 10:00 UTC, 1 \+ 100 measured 2026-12-01 15:20 UTC;/);
});

test('growthTable: a figure missing at the largest count grows up to the largest count that has it', () => {
  const oursOnly = (r: HostRun): HostRun => ({ ...r, samples: r.samples.filter((s) => s.tool === 'ours') });
  let f = mergeRun(emptySamples(), hostRun(20, fast, 1200));
  assert.equal(growthTable(f), '', 'one host count: no growth to show');
  f = mergeRun(mergeRun(f, hostRun(50, fast, 1500)), oursOnly(hostRun(100, fast, 2000)));
  const rows = growthTable(f).split('\n');
  assert.equal(rows[0], '| figure | 21 hosts | 51 hosts | 101 hosts | 101 / 21 hosts | per added host |');
  const row = (label: string) => rows.find((r) => r.startsWith(`| ${label} |`))!;
  assert.match(row('ours (npm run deploy): no-change re-run'), /^\| [^|]+ \| 1\.4\d s \| 1\.4\d s \| 1\.4\d s \| 1\.00× \| 0 ms \|$/);
  assert.match(row('ansible-playbook, warm masters: no-change re-run'), /\| — \| 1\.00× \(21 → 51 hosts\) \| 0 ms \|$/);
  // the floor grows 1200 → 2000 ms over 80 laptops: 10 ms per added host
  assert.match(row('floor via npm'), /\| 1\.67× \| 10 ms \|$/);
});

test('chartSvg: one point per host count for each tool and the floor, hosts = 1 + laptops', () => {
  const f = mergeRun(mergeRun(emptySamples(), hostRun(20, fast, 1200)), hostRun(100, fast, 2000));
  const doc = parseXml(chartSvg(f));
  const series = all(doc, (e) => e.attrs.class === 'series');
  // two panels × (ours, ansible cold, ansible warm, floor)
  assert.equal(series.length, 8);
  for (const s of series) assert.equal(s.children.filter((c) => c.name === 'circle').length, 2);
  const tips = all(doc, (e) => e.name === 'circle').map((c) => c.children[0].text);
  assert.ok(tips.some((x) => /at 21 hosts$/.test(x)) && tips.some((x) => /at 101 hosts$/.test(x)), tips.join('\n'));
});

// ------------------------------------------------------------------ inventory

test('benchInventory: exactly the run\'s hosts of the lab inventory, their vars kept; a missing host named', () => {
  const lab = `# Written by the lab
all:
  vars:
    lab_domain: lab.example
  children:
    mailservers:
      hosts:
        mailserver:
          ansible_host: 198.18.5.10
          ansible_ssh_private_key_file: /k
    laptops:
      hosts:
        laptop1:
          ansible_host: 198.18.5.21
        laptop2:
          ansible_host: 198.18.5.22
        laptop3:
          ansible_host: 198.18.5.23
`;
  const out = benchInventory(lab, ['mailserver', 'laptop1', 'laptop2']);
  const inv = YAML.parse(out);
  assert.deepEqual(Object.keys(inv.all.children.laptops.hosts), ['laptop1', 'laptop2']);
  assert.equal(inv.all.children.mailservers.hosts.mailserver.ansible_ssh_private_key_file, '/k');
  assert.equal(inv.all.vars.lab_domain, 'lab.example');
  // what the floor reads with its regular expressions: the 3 addresses only
  assert.deepEqual([...out.matchAll(/^\s*ansible_host:\s*['"]?([^'"\s]+)/gm)].map((m) => m[1]), ['198.18.5.10', '198.18.5.21', '198.18.5.22']);
  assert.throws(() => benchInventory(lab, ['mailserver', 'laptop9']), /^Error: bench: not in the lab's inventory: laptop9 /);
});

test("the hosts' own make + reload at once: kept across appended rounds, shown per host count and beside the first-deploy limit", () => {
  const a = { ...hostRun(20, fast, 1200), hostsWorkMs: [5500, 5600] };
  const b = { ...hostRun(20, fast, 1200), hostsWorkMs: [5700] };
  const f = mergeRun(mergeRun(emptySamples(), a), b, true);
  assert.deepEqual(f.runs['20'].hostsWorkMs, [5500, 5600, 5700]);
  const t = targets(f).find((x) => /1 \+ 20, first deploy \+ pair ≤ 3×/.test(x.what))!;
  assert.match(t.shown, /the hosts' own make \+ reload at once take 5\.60 s$/);
  const rep = buildReport(f).text;
  assert.match(rep, /Every host's own work at once, no tool [^\n]*on all 21 hosts[^\n]*: 5\.60 s \(5\.50–5\.70, 3 times\)/);
  // an older samples file has none: no line, no figure
  const old = buildReport(mergeRun(emptySamples(), hostRun(20, fast, 1200))).text;
  assert.doesNotMatch(old, /Every host's own work/);
  assert.doesNotMatch(targets(mergeRun(emptySamples(), hostRun(20, fast, 1200))).find((x) => /first deploy \+ pair ≤ 3×/.test(x.what))!.shown, /own make/);
});
