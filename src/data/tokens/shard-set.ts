/**
 * A tokenized corpus: shards grouped by domain, with an index.
 *
 *   <dir>/index.json                 {format, version, vocab_size, eos_id, tokenizer_sha256, domains: {…}}
 *   <dir>/<domain>/train-00000.tok   training shards of the domain
 *   <dir>/<domain>/valid-00000.tok   held-out shards of the domain
 *
 * The index lists every shard with its token and document counts, so planning needs no shard to be opened.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../util/atomic.js";
import { ShardError, ShardReader, ShardWriter, type ShardMeta } from "./shard.js";

export const INDEX_FORMAT = "pretrain-ts-token-shards";

export type Split = "train" | "valid";

export interface ShardEntry {
  file: string;
  tokens: number;
  documents: number;
}

export interface DomainIndex {
  train: ShardEntry[];
  valid: ShardEntry[];
  tokens: { train: number; valid: number };
  documents: { train: number; valid: number };
}

export interface ShardIndex {
  format: typeof INDEX_FORMAT;
  version: 1;
  vocab_size: number;
  eos_id: number;
  tokenizer_sha256: string;
  domains: Record<string, DomainIndex>;
}

/** Domain names are folder paths: segments of letters, digits, '.', '_' and '-', separated by '/'. */
const DOMAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Writes the shards of one domain and split, starting a new shard past `maxTokens`. */
export class SplitWriter {
  private current: ShardWriter | null = null;
  private readonly entries: ShardEntry[] = [];

  constructor(private readonly dir: string, private readonly split: Split, private readonly meta: ShardMeta,
    private readonly maxTokens: number) {}

  add(doc: ArrayLike<number>): void {
    if (!this.current) {
      const file = `${this.split}-${String(this.entries.length).padStart(5, "0")}.tok`;
      this.current = new ShardWriter(join(this.dir, file), this.meta);
      this.entries.push({ file, tokens: 0, documents: 0 });
    }
    this.current.add(doc);
    if (this.current.tokens >= this.maxTokens) this.close();
  }

  /**
   * Like `add`, but first closes the open shard when the document would take it past `maxTokens`, so that a
   * shard holds at most `maxTokens` tokens unless one document alone is longer (documents are never cut).
   */
  addWithinLimit(doc: ArrayLike<number>): void {
    if (this.current && this.current.tokens + doc.length > this.maxTokens) this.close();
    this.add(doc);
  }

  close(): ShardEntry[] {
    if (this.current) {
      const h = this.current.finish();
      const e = this.entries[this.entries.length - 1];
      e.tokens = h.tokens;
      e.documents = h.documents;
      this.current = null;
    }
    return this.entries;
  }
}

export function domainIndex(train: ShardEntry[], valid: ShardEntry[]): DomainIndex {
  const sum = (l: ShardEntry[], k: "tokens" | "documents") => l.reduce((a, e) => a + e[k], 0);
  return {
    train, valid,
    tokens: { train: sum(train, "tokens"), valid: sum(valid, "tokens") },
    documents: { train: sum(train, "documents"), valid: sum(valid, "documents") },
  };
}

export function writeIndex(dir: string, index: ShardIndex): void {
  writeFileAtomic(join(dir, "index.json"), JSON.stringify(index, null, 2) + "\n");
}

export function checkDomainName(name: string): void {
  if (!DOMAIN_NAME.test(name)) {
    throw new ShardError(name, "a domain name must be '/'-separated segments of letters, digits, '.', '_' or '-' (it becomes a folder path)");
  }
}

/** Opens a tokenized corpus; shards are opened lazily and cached. */
export class ShardSet {
  readonly index: ShardIndex;
  private readers = new Map<string, ShardReader>();

  constructor(readonly dir: string) {
    const p = join(dir, "index.json");
    if (!existsSync(p)) throw new ShardError(p, "missing: not a tokenized corpus (create one with `pretrain data tokenize`)");
    let index: ShardIndex;
    try {
      index = JSON.parse(readFileSync(p, "utf8")) as ShardIndex;
    } catch (e) {
      throw new ShardError(p, `not valid JSON (${(e as Error).message})`);
    }
    if (index.format !== INDEX_FORMAT) throw new ShardError(p, `not a ${INDEX_FORMAT} index`);
    if (index.version > 1) throw new ShardError(p, `index version ${index.version} is newer than this program supports`);
    this.index = index;
  }

  domains(): string[] {
    return Object.keys(this.index.domains).sort();
  }

  domain(name: string): DomainIndex {
    const d = this.index.domains[name];
    if (!d) throw new ShardError(join(this.dir, "index.json"), `no domain "${name}" (domains: ${this.domains().join(", ")})`);
    return d;
  }

  /** The reader of shard `i` of a domain's split, checked against the index. */
  shard(domain: string, split: Split, i: number): ShardReader {
    const e = this.domain(domain)[split][i];
    if (!e) throw new RangeError(`${domain}/${split}: no shard ${i}`);
    const path = join(this.dir, domain, e.file);
    let r = this.readers.get(path);
    if (!r) {
      r = new ShardReader(path);
      if (r.tokens !== e.tokens || r.documents !== e.documents) {
        r.close();
        throw new ShardError(path, `holds ${r.tokens} tokens and ${r.documents} documents, the index says ${e.tokens} and ${e.documents}`);
      }
      if (r.header.tokenizer_sha256 !== this.index.tokenizer_sha256) {
        r.close();
        throw new ShardError(path, "was made with another tokenizer than the rest of the corpus");
      }
      this.readers.set(path, r);
    }
    return r;
  }

  close(): void {
    for (const r of this.readers.values()) r.close();
    this.readers.clear();
  }
}

export function makeDomainDir(root: string, domain: string): string {
  checkDomainName(domain);
  const d = join(root, domain);
  mkdirSync(d, { recursive: true });
  return d;
}
