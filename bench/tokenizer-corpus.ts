/**
 * The tokenizer benchmark's corpus: about 100 MB of real text found on a Debian machine with Node, written once
 * per domain into a cache folder (reused while its manifest matches). Sources, read in sorted order, each domain
 * capped (the first files up to the cap, a file cut at a line end when it crosses it):
 *   prose   /usr/share/doc plain-text files (copyright, README, *.txt, *.md, *.rst; not the .gz changelogs) and
 *           npm's markdown docs                                                            cap 30 MB
 *   c       C headers under /usr/include                                                  cap 25 MB
 *   python  the Python standard library (/usr/lib/python3*)                               cap 15 MB
 *   perl    Perl modules and pod (/usr/share/perl, /usr/share/perl5)                      cap 15 MB
 *   ts      TypeScript's lib (*.d.ts declarations with JSDoc, and its compiler .js)       cap 15 MB
 * Documents are separated by a blank line. What a machine lacks makes that domain smaller; the benchmark prints
 * the sizes it actually used.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { tmpdir } from "node:os";

interface DomainSource {
  name: string;
  roots: string[];
  accept: (name: string) => boolean;
  capBytes: number;
}

function npmDocs(): string {
  const r = spawnSync("npm", ["root", "-g"], { encoding: "utf8" });
  return join(r.stdout?.trim() ?? "", "npm", "docs", "content");
}

export function corpusSources(root: string): DomainSource[] {
  const python = existsSync("/usr/lib") ? readdirSync("/usr/lib").filter((n) => /^python3\.\d+$/.test(n)).sort().map((n) => join("/usr/lib", n)) : [];
  return [
    { name: "prose", roots: [npmDocs(), "/usr/share/doc"], capBytes: 30e6,
      accept: (n) => n === "copyright" || /^README/i.test(n) || /\.(txt|md|rst)$/i.test(n) },
    { name: "c", roots: ["/usr/include"], capBytes: 25e6, accept: (n) => n.endsWith(".h") },
    { name: "python", roots: python, capBytes: 15e6, accept: (n) => n.endsWith(".py") },
    { name: "perl", roots: ["/usr/share/perl", "/usr/share/perl5"], capBytes: 15e6, accept: (n) => /\.(pm|pod)$/.test(n) },
    { name: "ts", roots: [join(root, "node_modules", "typescript", "lib")], capBytes: 15e6, accept: (n) => /\.(ts|js)$/.test(n) },
  ];
}

function walk(dir: string, accept: (name: string) => boolean, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(dir, n);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory() && !st.isSymbolicLink()) walk(p, accept, out);
    else if (st.isFile() && accept(n)) out.push(p);
  }
}

export interface BenchCorpus {
  dir: string;
  domains: { name: string; path: string; bytes: number; files: number }[];
  bytes: number;
}

/** Builds (or reuses) the corpus; `scale` shrinks every cap (e.g. 0.1 for a quick run). */
export function buildBenchCorpus(root: string, scale = 1, log: (s: string) => void = () => {}): BenchCorpus {
  const dir = join(tmpdir(), `pretrain-ts-tokenizer-corpus-${scale}`);
  const manifest = join(dir, "manifest.json");
  if (existsSync(manifest)) {
    const m = JSON.parse(readFileSync(manifest, "utf8")) as BenchCorpus;
    if (m.domains.every((d) => existsSync(d.path) && statSync(d.path).size === d.bytes)) return m;
  }
  mkdirSync(dir, { recursive: true });
  const domains: BenchCorpus["domains"] = [];
  for (const src of corpusSources(root)) {
    const files: string[] = [];
    for (const r of src.roots) walk(r, src.accept, files);
    const cap = src.capBytes * scale;
    const parts: Buffer[] = [];
    let bytes = 0;
    let used = 0;
    for (const f of files) {
      if (bytes >= cap) break;
      let b: Buffer;
      try {
        b = readFileSync(f);
      } catch {
        continue;
      }
      if (b.length === 0 || b.includes(0)) continue; // empty or binary
      if (bytes + b.length > cap) {
        const nl = b.lastIndexOf(0x0a, Math.max(0, cap - bytes));
        b = b.subarray(0, nl > 0 ? nl + 1 : 0);
      }
      parts.push(b, Buffer.from("\n\n"));
      bytes += b.length + 2;
      used++;
    }
    const path = join(dir, `${src.name}.txt`);
    writeFileSync(path, Buffer.concat(parts));
    domains.push({ name: src.name, path, bytes: statSync(path).size, files: used });
    log(`corpus: ${src.name}: ${used} files, ${(bytes / 1e6).toFixed(1)} MB`);
  }
  const c: BenchCorpus = { dir, domains, bytes: domains.reduce((s, d) => s + d.bytes, 0) };
  writeFileSync(manifest, JSON.stringify(c, null, 2));
  return c;
}
