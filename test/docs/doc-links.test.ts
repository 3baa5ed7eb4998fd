import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The docs name source files ("follow one push" in docs/architecture.md walks through a dozen) and
// link to each other. Files get renamed and headings reworded; this keeps every name and link true.

const ROOT = resolve(import.meta.dirname, '../..');
const DOCUMENTS = [
  'README.md',
  'infra/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const SOURCE_FOLDERS = ['src', 'functions', 'scripts', 'bin', 'infra', 'test', 'bench'];

/** Markdown without its fenced code blocks (their `#` lines are not headings, their text not links). */
function withoutFences(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, '');
}

/**
 * Repository paths a document names, in prose, code spans or links (`src/core/record-push.ts`,
 * `../src/core/ports.ts`), repository-relative. Folders count; globs and placeholders do not.
 */
function namedPaths(markdown: string): string[] {
  const folders = SOURCE_FOLDERS.join('|');
  const pattern = new RegExp(String.raw`(?<![\w./-])(?:\.\./)*((?:${folders})/[\w./*{}<>-]*)`, 'g');
  const names = [...markdown.matchAll(pattern)].map((m) => (m[1] ?? '').replace(/[.]+$/, ''));
  return [...new Set(names.filter((n) => !/[*{}<>]/.test(n)))];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const match of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = headingAnchor(match[1] ?? '');
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** Relative link targets (`docs/api.md`, `release-pipeline.md#wait`, `#invariants`), in order. */
function relativeLinks(markdown: string): string[] {
  const targets = [...withoutFences(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] ?? '');
  return targets.filter((t) => !/^[a-z][a-z+.-]*:/i.test(t));
}

/** What is wrong with a document's links (file missing, heading missing), one line each. */
function brokenLinks(document: string): string[] {
  const markdown = readFileSync(join(ROOT, document), 'utf8');
  const problems: string[] = [];
  for (const link of relativeLinks(markdown)) {
    const [path = '', anchor] = link.split('#');
    const target = path === '' ? join(ROOT, document) : resolve(ROOT, dirname(document), decodeURI(path));
    if (!existsSync(target)) {
      problems.push(`${link}: no file ${relative(ROOT, target)}`);
    } else if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) {
      problems.push(`${link}: no heading with anchor #${anchor} in ${relative(ROOT, target)}`);
    }
  }
  return problems;
}

function sourceFiles(folder: string): string[] {
  const full = join(ROOT, folder);
  if (!existsSync(full)) return [];
  return readdirSync(full, { recursive: true, encoding: 'utf8' })
    .map((name) => join(folder, name))
    .filter((path) => /\.(ts|mjs|js|yml)$/.test(path) && statSync(join(ROOT, path)).isFile());
}

describe('namedPaths', () => {
  it('finds repository paths in prose, code spans and relative links, and skips globs and absolute paths', () => {
    const text = 'See [`src/core/ports.ts`](../src/core/ports.ts), `test/faults/`, test/**/*.int.test.ts and /usr/bin/chromium.';
    expect(namedPaths(text)).toEqual(['src/core/ports.ts', 'test/faults/']);
  });
});

describe('headingAnchor', () => {
  it.each([
    ['`wait`', 'wait'],
    ['Follow one push', 'follow-one-push'],
    ['Floating tags: `latest`, `2`, `2.7` that only move forward', 'floating-tags-latest-2-27-that-only-move-forward'],
    ['Maps (`platformOverrides`, and `annotations` when it arrives)', 'maps-platformoverrides-and-annotations-when-it-arrives'],
  ])('turns %j into #%s', (heading, anchor) => {
    expect(headingAnchor(heading)).toBe(anchor);
  });
});

describe.each(DOCUMENTS)('%s', (document) => {
  const markdown = readFileSync(join(ROOT, document), 'utf8');

  it('names only files and folders that exist', () => {
    const missing = namedPaths(markdown).filter((path) => !existsSync(join(ROOT, path)));
    expect(missing, `${document} names paths that do not exist (renamed or moved?)`).toEqual([]);
  });

  it('links only to files and headings that exist', () => {
    expect(brokenLinks(document), `${document} has broken relative links`).toEqual([]);
  });
});

describe('docs/architecture.md', () => {
  it('follows one push through at least ten source files', () => {
    const markdown = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const section = markdown.split(/^## /m).find((s) => s.startsWith('Follow one push')) ?? '';
    expect(namedPaths(section).filter((p) => p.endsWith('.ts')).length).toBeGreaterThanOrEqual(10);
  });
});

describe('source comments', () => {
  it('cite documents in the repository (docs/*.md), never the design document outside it', () => {
    const outside = new RegExp(`${'DESIGN'}(\\.md)?\\s*§|${'DESIGN'}\\.md`);
    const citing = SOURCE_FOLDERS.flatMap(sourceFiles).filter((path) => outside.test(readFileSync(join(ROOT, path), 'utf8')));
    expect(citing).toEqual([]);
  });
});
