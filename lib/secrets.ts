// Secret values (key bodies, passwords) known to this run, and masking of any text shown.

export class Secrets {
  private values = new Set<string>();

  add(value: string | undefined): void {
    if (value && value.length >= 4) this.values.add(value);
  }

  mask = (text: string): string => {
    let out = text;
    // longest first, so that a whole key is masked before its lines
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) {
      if (out.includes(v)) out = out.split(v).join('********');
    }
    return out.replace(/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, '-----BEGIN $1PRIVATE KEY----- ******** (masked)');
  };
}
