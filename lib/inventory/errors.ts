// Errors of the inventory layer. Each message is one line: `file:line: detail`.

/** A problem with an inventory source (or a vars file beside it). */
export class InventoryError extends Error {
  override name = 'InventoryError';
  readonly file: string;
  readonly line: number;
  /** The message without the `file:line: ` prefix. */
  readonly detail: string;
  constructor(file: string, line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}

/** A host or group selection that does not fit the inventory (host names, --limit patterns). */
export class SelectionError extends Error {
  override name = 'SelectionError';
  /** The requested names that were not acceptable. */
  readonly names: string[];
  readonly group: string | undefined;
  /** The hosts that would have been acceptable (of `group` when given). */
  readonly known: string[];
  constructor(message: string, names: string[], group: string | undefined, known: string[]) {
    super(message);
    this.names = names;
    this.group = group;
    this.known = known;
  }
}
