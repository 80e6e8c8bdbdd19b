// Lines of the layout the code does not cross (README, "Layout"), read from the sources themselves so
// that a new import across one fails here, not in a review.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';

const root = new URL('../../../', import.meta.url);

/** Every module specifier a TypeScript file imports or re-exports (static and dynamic), with its line. */
export function importsOf(source: string): Array<{ spec: string; line: number }> {
  const out: Array<{ spec: string; line: number }> = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;
  for (const m of source.matchAll(re)) out.push({ spec: m[2], line: source.slice(0, m.index).split('\n').length });
  return out;
}

/** Imports of the entry points (scripts/*.ts) that reach past a role's face into its parts. */
export function crossings(files: Record<string, string>): string[] {
  const bad: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    for (const i of importsOf(text)) {
      if (/(^|\/)roles\/(tasks|text|pki)(\/|$)/.test(i.spec)) bad.push(`${file}:${i.line}: ${i.spec}`);
    }
  }
  return bad;
}

test('importsOf finds static, type-only, re-export, side-effect and dynamic imports', () => {
  const src = [
    "import { a } from '../roles/server.js';",
    "import type { B } from \"../lib/types.js\";",
    "export { c } from '../roles/text/status.js';",
    "import '../roles/pki/forge.js';",
    "const m = await import('../roles/tasks/certs.js');",
    "import {",
    "  d,",
    "} from '../roles/tasks/per-laptop.js';",
  ].join('\n');
  assert.deepEqual(importsOf(src), [
    { spec: '../roles/server.js', line: 1 },
    { spec: '../lib/types.js', line: 2 },
    { spec: '../roles/text/status.js', line: 3 },
    { spec: '../roles/pki/forge.js', line: 4 },
    { spec: '../roles/tasks/certs.js', line: 5 },
    { spec: '../roles/tasks/per-laptop.js', line: 8 },
  ]);
  assert.deepEqual(crossings({ 'scripts/x.ts': src }), [
    'scripts/x.ts:3: ../roles/text/status.js',
    'scripts/x.ts:4: ../roles/pki/forge.js',
    'scripts/x.ts:5: ../roles/tasks/certs.js',
    'scripts/x.ts:8: ../roles/tasks/per-laptop.js',
  ]);
});

test("the entry points (scripts/*.ts) import only a role's face (roles/*.ts), never roles/tasks, roles/text or roles/pki", () => {
  const dir = new URL('scripts/', root);
  const files = Object.fromEntries(
    readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => [`scripts/${f}`, readFileSync(new URL(f, dir), 'utf8')]),
  );
  assert.ok(Object.keys(files).length >= 6, 'the entry points were found');
  assert.ok(Object.values(files).some((t) => importsOf(t).some((i) => i.spec === '../roles/server.js')), 'their role imports were read');
  assert.deepEqual(crossings(files), []);
});

/** Every .ts file under a folder of the checkout, as [path, text]. */
function sourcesUnder(dir: string): Array<[string, string]> {
  return readdirSync(new URL(`${dir}/`, root), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => {
      const path = `${e.parentPath ?? (e as unknown as { path: string }).path}/${e.name}`;
      return [path.slice(new URL(root).pathname.length), readFileSync(path, 'utf8')] as [string, string];
    });
}

test('no task has a check-mode branch of its own: roles/ never reads h.checkMode (the operations, h.$ and h.missing handle check mode)', () => {
  const files = sourcesUnder('roles');
  assert.ok(files.some(([p]) => p === 'roles/tasks/per-laptop.ts'), 'the roles were read');
  const hits = files.flatMap(([p, t]) => t.split('\n').flatMap((l, i) => (/\bcheckMode\b/.test(l) ? [`${p}:${i + 1}: ${l.trim()}`] : [])));
  assert.deepEqual(hits, []);
});
