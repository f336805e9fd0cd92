/**
 * The demo's multi-domain training corpus, assembled offline from text that `npm ci` installs: one JSONL file
 * of documents ({id, text, meta: {source, domain}}, the data pipeline's form) per domain, written atomically,
 * plus manifest.json (options, package versions and licenses, counts, SHA-256 of each file). Everything the
 * proxy tasks hold out for evaluation is left out, by their own rules (src/eval/proxies/holdout.ts).
 *
 * Deterministic: sources are read in sorted order, generated text is seeded, and the byte cap keeps the
 * documents that come first in an order given by a hash of (seed, id) — a spread over the whole domain rather
 * than its first files — then writes them in their natural order. The same options give the same bytes.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Document } from "../data/document.js";
import { HOLDOUT_RULES, stableHash } from "../eval/proxies/holdout.js";
import { withAtomicFile, writeAll, writeFileAtomic } from "../util/atomic.js";
import { buildBooks } from "./domains/books.js";
import { buildCode } from "./domains/code.js";
import { buildEncyclopedia } from "./domains/encyclopedia.js";
import { buildMath } from "./domains/math.js";
import { buildSpeeches } from "./domains/speeches.js";
import { buildWeb } from "./domains/web.js";
import { DemoCorpusError, type PackageInfo } from "./packages.js";
import { DOMAIN_NAMES, type DomainBuilder, type DomainContext, type DomainName } from "./types.js";

export { DOMAIN_NAMES, type DomainName } from "./types.js";
export { DemoCorpusError } from "./packages.js";

/** Per domain by default: six domains stay about 3 MB in all. */
export const DEFAULT_MAX_BYTES_PER_DOMAIN = 512 * 1024;
export const DEFAULT_MAX_DOCUMENT_BYTES = 8 * 1024;
export const DEFAULT_SEED = "demo-corpus";
export const DEFAULT_MATH_PROBLEMS = 4000;
export const DEFAULT_PROBLEMS_PER_DOCUMENT = 4;
export const MANIFEST_FILE = "manifest.json";

/** Each domain's documents before the cap. */
export const BUILDERS: Readonly<Record<DomainName, DomainBuilder>> = {
  books: buildBooks, speeches: buildSpeeches, web: buildWeb, encyclopedia: buildEncyclopedia, code: buildCode, math: buildMath,
};

export interface DemoCorpusOptions {
  /** which domains to build (default all six, in DOMAIN_NAMES order) */
  domains?: readonly DomainName[];
  /** cap on each domain's JSONL file, in bytes (default 512 KiB); null: everything */
  maxBytesPerDomain?: number | null;
  /** a cap for some domains that differs from maxBytesPerDomain (null: everything) */
  maxBytesByDomain?: Partial<Record<DomainName, number | null>>;
  /** longest document text in UTF-8 bytes; longer units are cut at paragraph, line or sentence ends (default 8 KiB) */
  maxDocumentBytes?: number;
  /** arithmetic problems generated for the math domain, before the cap (default 4000) */
  mathProblems?: number;
  /** math problems per document (default 4) */
  problemsPerDocument?: number;
  /** seeds the math problems and the cap's choice (default "demo-corpus") */
  seed?: string;
  /** called after each domain is written (progress) */
  onDomain?: (d: DomainResult) => void;
}

export interface DomainResult {
  name: DomainName;
  /** the files written for this domain (one: <outDir>/<name>.jsonl) */
  files: string[];
  documents: number;
  /** bytes of the JSONL file(s) */
  bytes: number;
  /** UTF-8 bytes of the documents' text alone */
  textBytes: number;
  /** what the domain had before the byte cap */
  available: { documents: number; bytes: number; textBytes: number };
  /** source files or items that contributed (chapters, speeches, emails, synsets, .d.ts files, problems) */
  sourceItems: number;
  package: PackageInfo | null;
  /** what was held out or dropped, and why */
  excluded: string;
  seconds: number;
}

export interface DemoCorpus {
  dir: string;
  domains: DomainResult[];
  manifest: string;
}

interface Resolved {
  domains: DomainName[];
  maxBytesPerDomain: number | null;
  maxBytesByDomain: Partial<Record<DomainName, number | null>>;
  ctx: DomainContext;
}

function resolveOptions(o: DemoCorpusOptions): Resolved {
  const domains = [...(o.domains ?? DOMAIN_NAMES)];
  for (const d of domains) {
    if (!(DOMAIN_NAMES as readonly string[]).includes(d)) {
      throw new DemoCorpusError(`unknown demo corpus domain "${d}" (domains: ${DOMAIN_NAMES.join(", ")})`);
    }
  }
  if (new Set(domains).size !== domains.length) throw new DemoCorpusError(`a domain is listed twice: ${domains.join(", ")}`);
  if (domains.length === 0) throw new DemoCorpusError("no domains to build");
  const cap = o.maxBytesPerDomain === undefined ? DEFAULT_MAX_BYTES_PER_DOMAIN : o.maxBytesPerDomain;
  if (cap !== null && !(Number.isSafeInteger(cap) && cap > 0)) {
    throw new DemoCorpusError(`maxBytesPerDomain must be a positive whole number of bytes or null (no cap), got ${cap}`);
  }
  const byDomain = { ...(o.maxBytesByDomain ?? {}) };
  for (const [d, c] of Object.entries(byDomain)) {
    if (!DOMAIN_NAMES.includes(d as DomainName)) throw new DemoCorpusError(`maxBytesByDomain: unknown domain "${d}" (domains: ${DOMAIN_NAMES.join(", ")})`);
    if (c !== null && !(Number.isSafeInteger(c) && c > 0)) {
      throw new DemoCorpusError(`maxBytesByDomain.${d} must be a positive whole number of bytes or null (no cap), got ${c}`);
    }
  }
  const int = (name: string, v: number | undefined, dflt: number, min: number) => {
    const x = v ?? dflt;
    if (!Number.isSafeInteger(x) || x < min) throw new DemoCorpusError(`${name} must be a whole number ≥ ${min}, got ${v}`);
    return x;
  };
  return {
    domains, maxBytesPerDomain: cap, maxBytesByDomain: byDomain,
    ctx: {
      maxDocumentBytes: int("maxDocumentBytes", o.maxDocumentBytes, DEFAULT_MAX_DOCUMENT_BYTES, 256),
      mathProblems: int("mathProblems", o.mathProblems, DEFAULT_MATH_PROBLEMS, 1),
      problemsPerDocument: int("problemsPerDocument", o.problemsPerDocument, DEFAULT_PROBLEMS_PER_DOCUMENT, 1),
      seed: o.seed ?? DEFAULT_SEED,
    },
  };
}

/** A document as one JSONL line, its fields always in the same order. */
export function documentLine(d: Document): string {
  return JSON.stringify({ id: d.id, text: d.text, meta: { source: d.meta.source, domain: d.meta.domain } }) + "\n";
}

/**
 * The lines to keep under `cap` bytes: the documents first in the (seed, id) hash order, as many as fit (a
 * document too big for what is left is passed over for smaller ones), returned in their original order.
 */
export function selectUnderCap(lines: readonly string[], ids: readonly string[], cap: number | null, seed: string): number[] {
  if (cap === null) return lines.map((_, i) => i);
  const keys = ids.map((id) => stableHash(`${seed}:${id}`));
  const order = lines.map((_, i) => i).sort((a, b) => keys[a] - keys[b] || (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  const keep: number[] = [];
  let used = 0;
  for (const i of order) {
    const b = Buffer.byteLength(lines[i], "utf8");
    if (used + b > cap) continue;
    used += b;
    keep.push(i);
  }
  return keep.sort((a, b) => a - b);
}

function writeLines(path: string, lines: readonly string[]): string {
  const hash = createHash("sha256");
  withAtomicFile(path, (fd) => {
    // Buffered so a 40 MB uncapped domain is neither one giant string nor one write per line.
    let buf: string[] = [];
    let size = 0;
    const flush = () => {
      const bytes = Buffer.from(buf.join(""), "utf8");
      hash.update(bytes);
      writeAll(fd, bytes);
      buf = [];
      size = 0;
    };
    for (const l of lines) {
      buf.push(l);
      size += l.length;
      if (size >= 1 << 20) flush();
    }
    flush();
  });
  return hash.digest("hex");
}

export function buildDemoCorpus(outDir: string, options: DemoCorpusOptions = {}): DemoCorpus {
  const r = resolveOptions(options);
  mkdirSync(outDir, { recursive: true });
  const results: DomainResult[] = [];
  const sums: Record<string, string> = {};
  for (const name of r.domains) {
    const t0 = performance.now();
    const built = BUILDERS[name](r.ctx);
    const docs = built.documents;
    if (docs.length === 0) throw new DemoCorpusError(`the "${name}" domain produced no documents`);
    const ids = new Set<string>();
    for (const d of docs) {
      if (ids.has(d.id)) throw new DemoCorpusError(`the "${name}" domain produced the id ${d.id} twice`);
      ids.add(d.id);
    }
    const lines = docs.map(documentLine);
    const cap = name in r.maxBytesByDomain ? r.maxBytesByDomain[name]! : r.maxBytesPerDomain;
    const keep = selectUnderCap(lines, docs.map((d) => d.id), cap, r.ctx.seed);
    if (keep.length === 0) {
      const smallest = Math.min(...lines.map((l) => Buffer.byteLength(l, "utf8")));
      throw new DemoCorpusError(`the byte cap ${cap} is smaller than every document of "${name}" (the smallest takes ${smallest} bytes)`);
    }
    const kept = keep.map((i) => lines[i]);
    const file = join(outDir, `${name}.jsonl`);
    sums[`${name}.jsonl`] = writeLines(file, kept);
    const textBytes = (idx: readonly number[]) => idx.reduce((s, i) => s + Buffer.byteLength(docs[i].text, "utf8"), 0);
    const res: DomainResult = {
      name, files: [file], documents: kept.length, bytes: kept.reduce((s, l) => s + Buffer.byteLength(l, "utf8"), 0),
      textBytes: textBytes(keep),
      available: { documents: docs.length, bytes: lines.reduce((s, l) => s + Buffer.byteLength(l, "utf8"), 0), textBytes: textBytes(docs.map((_, i) => i)) },
      sourceItems: built.sourceItems, package: built.package, excluded: built.excluded,
      seconds: (performance.now() - t0) / 1000,
    };
    results.push(res);
    options.onDomain?.(res);
  }
  const manifest = {
    format: "pretrain-demo-corpus", version: 1,
    options: {
      domains: r.domains, max_bytes_per_domain: r.maxBytesPerDomain, max_bytes_by_domain: r.maxBytesByDomain, max_document_bytes: r.ctx.maxDocumentBytes,
      math_problems: r.ctx.mathProblems, problems_per_document: r.ctx.problemsPerDocument, seed: r.ctx.seed,
    },
    holdout_rules: HOLDOUT_RULES,
    domains: results.map((d) => ({
      name: d.name, file: `${d.name}.jsonl`, sha256: sums[`${d.name}.jsonl`], documents: d.documents, bytes: d.bytes,
      text_bytes: d.textBytes, available: { documents: d.available.documents, bytes: d.available.bytes, text_bytes: d.available.textBytes },
      source_items: d.sourceItems, package: d.package, excluded: d.excluded,
    })),
  };
  const manifestPath = join(outDir, MANIFEST_FILE);
  writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  return { dir: outDir, domains: results, manifest: manifestPath };
}
