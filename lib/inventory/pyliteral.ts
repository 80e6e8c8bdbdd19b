// Python's ast.literal_eval, as far as Ansible's INI inventory uses it to read a value
// (lib/ansible/plugins/inventory/ini.py `_parse_value`): numbers, True/False/None, quoted strings
// (with prefixes, escapes, triple quotes and implicit concatenation), lists, tuples, dicts, sets, a
// sign on a number, and `#` comments. Anything else (a bare word, an f-string, a name, an operator)
// is not a literal, and Ansible keeps the text as a string: so does pyLiteral (undefined).
// Hand-written: no npm package evaluates Python literals (JSON5/YAML parsers read other grammars).

type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

class NotLiteral extends Error {}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '',
};

/** The value of `text` read as a Python literal, or undefined when it is not one. */
export function pyLiteral(text: string): { value: Value } | undefined {
  try {
    const p = new Parser(text.replace(/^[ \t]+/, ''));
    const v = p.expression(true);
    p.skipSpace();
    if (!p.done()) return undefined;
    return { value: v };
  } catch (e) {
    if (e instanceof NotLiteral) return undefined;
    throw e;
  }
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  skipSpace(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\f' || (this.depth > 0 && (c === '\n' || c === '\r'))) this.i++;
      else if (c === '\\' && this.s[this.i + 1] === '\n') this.i += 2;
      else if (c === '#') {
        while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      } else return;
    }
  }

  private peek(): string | undefined {
    this.skipSpace();
    return this.s[this.i];
  }

  /** A value, or (at top level and in parentheses) a bare tuple `1, 2`. */
  expression(allowTuple: boolean): Value {
    const first = this.value();
    if (!allowTuple || this.peek() !== ',') return first;
    const items = [first];
    while (this.peek() === ',') {
      this.i++;
      const c = this.peek();
      if (c === undefined || c === ')') break;
      items.push(this.value());
    }
    return items;
  }

  private value(): Value {
    const c = this.peek();
    if (c === undefined) throw new NotLiteral();
    if (c === '[') return this.sequence('[', ']');
    if (c === '(') {
      this.i++;
      this.depth++;
      if (this.peek() === ')') {
        this.i++;
        this.depth--;
        return [];
      }
      const first = this.value();
      let v: Value = first;
      if (this.peek() === ',') {
        const items = [first];
        while (this.peek() === ',') {
          this.i++;
          if (this.peek() === ')') break;
          items.push(this.value());
        }
        v = items;
      }
      if (this.peek() !== ')') throw new NotLiteral();
      this.i++;
      this.depth--;
      return v;
    }
    if (c === '{') return this.braces();
    if (c === '+' || c === '-') {
      this.i++;
      const n = this.peek();
      const v = n === '+' || n === '-' ? undefined : this.number();
      if (typeof v !== 'number') throw new NotLiteral();
      return c === '-' ? -v : v;
    }
    if (/[0-9.]/.test(c)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (word !== undefined) {
      const after = this.s[this.i + word.length];
      if ((after === "'" || after === '"') && /^(?:[rRuUbB]|[bB][rR]|[rR][bB])$/.test(word)) return this.strings();
      this.i += word.length;
      if (word === 'True') return true;
      if (word === 'False') return false;
      if (word === 'None') return null;
      throw new NotLiteral();
    }
    if (c === "'" || c === '"') return this.strings();
    throw new NotLiteral();
  }

  private sequence(open: string, close: string): Value[] {
    this.i++;
    this.depth++;
    const items: Value[] = [];
    for (;;) {
      if (this.peek() === close) break;
      items.push(this.value());
      const c = this.peek();
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c !== close) throw new NotLiteral();
    }
    void open;
    this.i++;
    this.depth--;
    return items;
  }

  /** `{}` dict, `{k: v, ...}` dict, `{a, b}` set (read as a list). */
  private braces(): Value {
    this.i++;
    this.depth++;
    if (this.peek() === '}') {
      this.i++;
      this.depth--;
      return {};
    }
    const first = this.value();
    if (this.peek() === ':') {
      const out: Record<string, Value> = {};
      let key = first;
      for (;;) {
        if (this.peek() !== ':') throw new NotLiteral();
        this.i++;
        if (key !== null && typeof key === 'object') throw new NotLiteral(); // unhashable key
        out[keyText(key)] = this.value();
        const c = this.peek();
        if (c === ',') {
          this.i++;
          if (this.peek() === '}') break;
          key = this.value();
          continue;
        }
        if (c !== '}') throw new NotLiteral();
        break;
      }
      this.i++;
      this.depth--;
      return out;
    }
    const items = [first];
    for (;;) {
      const c = this.peek();
      if (c === ',') {
        this.i++;
        if (this.peek() === '}') break;
        items.push(this.value());
        continue;
      }
      if (c !== '}') throw new NotLiteral();
      break;
    }
    this.i++;
    this.depth--;
    return items;
  }

  private number(): number {
    this.skipSpace();
    const rest = this.s.slice(this.i);
    const m =
      /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+/.exec(rest) ??
      /^(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?/.exec(rest);
    if (!m) throw new NotLiteral();
    const text = m[0];
    const next = rest[text.length];
    // 1j (complex), 1L, 12abc: not a literal Ansible can use
    if (next !== undefined && /[A-Za-z0-9_.]/.test(next)) throw new NotLiteral();
    this.i += text.length;
    const clean = text.replace(/_/g, '');
    if (/^0[xXoObB]/.test(clean)) return Number(clean.toLowerCase().replace(/^0o/, '0o'));
    if (/^\d+$/.test(clean)) {
      // Python 3 refuses 012 (but takes 0, 00)
      if (clean.length > 1 && clean.startsWith('0') && /[1-9]/.test(clean)) throw new NotLiteral();
      return Number(clean);
    }
    return Number(clean);
  }

  /** One or more adjacent string literals (Python concatenates them). */
  private strings(): string {
    let out = '';
    let any = false;
    for (;;) {
      this.skipSpace();
      const m = /^([rRuUbBfF]{0,2})('''|"""|'|")/.exec(this.s.slice(this.i));
      if (!m) break;
      const prefix = m[1]!.toLowerCase();
      if (prefix.includes('f') || (prefix.length === 2 && !/^(?:br|rb)$/.test(prefix))) throw new NotLiteral();
      const raw = prefix.includes('r');
      const quote = m[2]!;
      this.i += m[0].length;
      for (;;) {
        if (this.i >= this.s.length) throw new NotLiteral();
        if (this.s.startsWith(quote, this.i)) {
          this.i += quote.length;
          break;
        }
        const c = this.s[this.i]!;
        if (quote.length === 1 && c === '\n') throw new NotLiteral();
        if (c === '\\') {
          const n = this.s[this.i + 1];
          if (n === undefined) throw new NotLiteral();
          if (raw) {
            out += c + n;
            this.i += 2;
            continue;
          }
          out += this.escape();
          continue;
        }
        out += c;
        this.i++;
      }
      any = true;
    }
    if (!any) throw new NotLiteral();
    return out;
  }

  private escape(): string {
    const n = this.s[this.i + 1]!;
    if (n in SIMPLE_ESCAPES) {
      this.i += 2;
      return SIMPLE_ESCAPES[n]!;
    }
    const rest = this.s.slice(this.i + 1);
    let m = /^[0-7]{1,3}/.exec(rest);
    if (m) {
      this.i += 1 + m[0].length;
      return String.fromCodePoint(parseInt(m[0], 8));
    }
    m = /^x([0-9a-fA-F]{2})|^u([0-9a-fA-F]{4})|^U([0-9a-fA-F]{8})/.exec(rest);
    if (m) {
      this.i += 1 + m[0].length;
      const cp = parseInt(m[1] ?? m[2] ?? m[3]!, 16);
      if (cp > 0x10ffff) throw new NotLiteral();
      return String.fromCodePoint(cp);
    }
    if (/^[xuUN]/.test(rest)) throw new NotLiteral(); // a truncated \x.. or a \N{name}: not handled
    this.i += 2;
    return '\\' + n; // Python keeps an unknown escape as it is
  }
}

function keyText(key: Value): string {
  // as Python's json.dumps writes a dict key
  if (key === true) return 'true';
  if (key === false) return 'false';
  if (key === null) return 'null';
  return String(key);
}
