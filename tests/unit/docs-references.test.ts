import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCANNED = ['main', 'common', 'renderer', 'preload', 'tests', 'scripts', 'docs', 'README.md'];
const TEXT_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs|css|html|md)$/;
const THIS_FILE = path.relative(ROOT, import.meta.filename);

function filesUnder(entry: string): string[] {
  const full = path.join(ROOT, entry);
  if (!existsSync(full)) return [];
  if (statSync(full).isFile()) return TEXT_FILE.test(entry) ? [entry] : [];
  return readdirSync(full, { withFileTypes: true }).flatMap((child) =>
    child.name === 'node_modules' ? [] : filesUnder(path.join(entry, child.name)),
  );
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

type Reference = { from: string; target: string; anchor: string | null };

function referencesIn(file: string, text: string): Reference[] {
  const found: Reference[] = [];
  // Repository-rooted mentions anywhere: `docs/protocols/irecv.md#dfu-upload`.
  for (const m of text.matchAll(/(?<![\w/.-])docs\/[\w/.-]+?\.md(?:#([\w-]+))?/g)) {
    found.push({ from: file, target: m[0].split('#')[0]!, anchor: m[1] ?? null });
  }
  if (file.endsWith('.md')) {
    // Relative markdown links: [text](other.md#anchor) and [text](#anchor).
    for (const m of text.matchAll(/\]\(([^)\s:]*?\.md|)(?:#([\w-]+))?\)/g)) {
      if (m[1] === '' && m[2] === undefined) continue;
      const target = m[1] ? path.join(path.dirname(file), m[1]) : file;
      found.push({ from: file, target, anchor: m[2] ?? null });
    }
  }
  return found;
}

const FORBIDDEN: { why: string; pattern: RegExp }[] = [
  { why: 'a path outside the repository', pattern: /\.\.\/shared/ },
  { why: 'a section of an outside brief (§)', pattern: /§/ },
  {
    why: 'an outside brief by name',
    pattern: /\b(restore-stack|backup-stack|dfu-coach|electron-stack|journey-ux)\b|\b(landscape|PRODUCT)\.md\b/,
  },
  { why: 'a tracker item', pattern: /\bissues? #?\d/i },
];

const files = SCANNED.flatMap(filesUnder).filter((file) => file !== THIS_FILE);

describe('references from code and docs', () => {
  it('finds the files it is meant to scan', () => {
    expect(files).toContain('docs/ARCHITECTURE.md');
    expect(files.some((file) => file.startsWith('main/'))).toBe(true);
  });

  it('points only at docs that exist, and at headings they have', () => {
    const anchorsOf = new Map<string, Set<string> | null>();
    const broken: string[] = [];
    for (const file of files) {
      for (const ref of referencesIn(file, readFileSync(path.join(ROOT, file), 'utf8'))) {
        if (!anchorsOf.has(ref.target)) {
          const full = path.join(ROOT, ref.target);
          anchorsOf.set(ref.target, existsSync(full) ? headingAnchors(readFileSync(full, 'utf8')) : null);
        }
        const anchors = anchorsOf.get(ref.target);
        if (!anchors) broken.push(`${ref.from}: ${ref.target} does not exist`);
        else if (ref.anchor !== null && !anchors.has(ref.anchor))
          broken.push(`${ref.from}: ${ref.target}#${ref.anchor} has no such heading`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('cites nothing outside the repository: no ../shared, no brief sections, no tracker item numbers', () => {
    const offences: string[] = [];
    for (const file of files) {
      readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          for (const { why, pattern } of FORBIDDEN) {
            if (pattern.test(line)) offences.push(`${file}:${index + 1}: ${why}: ${line.trim().slice(0, 120)}`);
          }
        });
    }
    expect(offences).toEqual([]);
  });
});

describe('heading anchors', () => {
  it('are made the way GitHub makes them', () => {
    const anchors = headingAnchors(
      '# Title\n## Port byte order\n## What usbmuxd does on attach\n```\n## not a heading\n```\n## Port byte order\n## bmRequestType (USB 2.0)\n',
    );
    expect([...anchors]).toEqual(['title', 'port-byte-order', 'what-usbmuxd-does-on-attach', 'port-byte-order-1', 'bmrequesttype-usb-20']);
  });
});
