// Ansible's host ranges, as lib/ansible/plugins/inventory/__init__.py expand_hostname_range() reads
// them: `web[01:03]` → web01 web02 web03 (a leading zero pads to the begin's width, and then begin
// and end must be as wide), `db-[a:f]` (letters of a-zA-Z), `[begin:end:step]`, an empty begin is
// 0, several ranges in one name expand as a product. Hand-written: it is a few lines of Ansible's
// own grammar that no npm package implements.

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Expand the ranges of a host name; a name without '[' is returned alone. Throws a string. */
export function expandHostRange(line: string): string[] {
  if (!line.includes('[')) return [line];
  const open = line.indexOf('[');
  const close = line.indexOf(']', open);
  if (close < 0) throw `host range in '${line}' has no closing ']'`;
  const head = line.slice(0, open);
  const nrange = line.slice(open + 1, close);
  const tail = line.slice(close + 1);
  const bounds = nrange.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw `host range '[${nrange}]' in '${line}' must be begin:end or begin:end:step`;
  const beg = bounds[0] === '' ? '0' : bounds[0]!;
  const end = bounds[1]!;
  const stepText = bounds.length === 3 ? bounds[2]! : '1';
  if (end === '') throw `host range '[${nrange}]' in '${line}' must specify its end`;
  if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw `bad step '${stepText}' in host range '${line}'`;
  const step = Number(stepText);
  let fill = (x: number | string): string => String(x);
  if (beg.startsWith('0') && beg.length > 1) {
    if (beg.length !== end.length) throw `host range '[${nrange}]' in '${line}' must have begin and end of equal width`;
    fill = (x) => String(x).padStart(beg.length, '0');
  }
  const items: string[] = [];
  const ib = LETTERS.indexOf(beg);
  const ie = LETTERS.indexOf(end);
  if (beg.length === 1 && end.length === 1 && ib >= 0 && ie >= 0) {
    if (ib > ie) throw `host range '${line}' starts after it ends`;
    for (let i = ib; i <= ie; i += step) items.push(LETTERS[i]!);
  } else {
    if (!/^\d+$/.test(beg) || !/^\d+$/.test(end)) throw `bad host range '[${nrange}]' in '${line}' (expected [01:10] or [a:f])`;
    const [b, e] = [Number(beg), Number(end)];
    if (b > e) throw `host range '${line}' starts after it ends`;
    for (let i = b; i <= e; i += step) items.push(fill(i));
  }
  return items.flatMap((item) => expandHostRange(head + item + tail));
}
