/**
 * Compression metrics of a tokenizer on a corpus, per domain: UTF-8 bytes per token (script-independent, the
 * compression rate YuLan-Mini's Table 2 compares) and characters (Unicode code points) per token, plus how much
 * of the vocabulary the corpus uses. Special tokens in the text are counted as plain text (allowSpecial off).
 */
import { decodeCounted, documentsOf, expandInputs, fileChunks } from "./corpus.js";
import { IdBuffer } from "./model.js";
import type { BpeTokenizer } from "./tokenizer.js";

export interface CompressionStats {
  domain: string;
  files: number;
  documents: number;
  bytes: number;
  chars: number;
  tokens: number;
  bytes_per_token: number;
  chars_per_token: number;
  /** distinct ids seen in this domain, and their share of the vocabulary */
  ids_used: number;
  vocab_used_share: number;
  invalid_utf8_replaced: number;
}

export interface StatsReport {
  vocab_size: number;
  domains: CompressionStats[];
  total: CompressionStats;
  /** ids never produced on the whole corpus (specials excluded) */
  never_used: number;
  /** the most frequent tokens on the whole corpus */
  top_tokens: { id: number; token: string; count: number }[];
  bad_jsonl_lines: number;
}

/** Code points in s (a surrogate pair counts once). */
function codePoints(s: string): number {
  let pairs = 0;
  for (let i = 0; i + 1 < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return s.length - pairs;
}

export function tokenizerStats(tokenizer: BpeTokenizer, inputs: string[], options: { textField?: string; top?: number } = {},
  onProgress?: (bytesRead: number, total: number) => void): StatsReport {
  const files = expandInputs(inputs);
  const V = tokenizer.vocabSize;
  const totalCounts = new Float64Array(V);
  const textField = options.textField ?? "text";
  const domains = new Map<string, { files: number; documents: number; bytes: number; chars: number; tokens: number; used: Uint8Array; replaced: number }>();
  const docStats = { docs: 0, badLines: 0, loneSurrogates: 0 };
  const out = new IdBuffer(1 << 16);
  const total = files.reduce((s, f) => s + f.size, 0);
  let read = 0;
  for (const f of files) {
    let d = domains.get(f.domain);
    if (!d) {
      d = { files: 0, documents: 0, bytes: 0, chars: 0, tokens: 0, used: new Uint8Array(V), replaced: 0 };
      domains.set(f.domain, d);
    }
    d.files++;
    const dd = d;
    for (const chunk of fileChunks(f)) {
      const { text, replaced } = decodeCounted(chunk.bytes, chunk.offset === 0);
      dd.replaced += replaced;
      const before = docStats.docs;
      documentsOf(text, f.format, textField, docStats, (doc) => {
        out.n = 0;
        tokenizer.encodeInto(doc, out);
        dd.tokens += out.n;
        dd.bytes += Buffer.byteLength(doc, "utf8");
        dd.chars += codePoints(doc);
        for (let i = 0; i < out.n; i++) {
          const id = out.a[i];
          totalCounts[id]++;
          dd.used[id] = 1;
        }
      }, chunk.offset === 0);
      dd.documents += docStats.docs - before;
    }
    read += f.size;
    onProgress?.(read, total);
  }
  const row = (domain: string, x: { files: number; documents: number; bytes: number; chars: number; tokens: number; used: Uint8Array; replaced: number }): CompressionStats => {
    let used = 0;
    for (let i = 0; i < V; i++) used += x.used[i];
    return {
      domain, files: x.files, documents: x.documents, bytes: x.bytes, chars: x.chars, tokens: x.tokens,
      bytes_per_token: x.tokens ? x.bytes / x.tokens : 0, chars_per_token: x.tokens ? x.chars / x.tokens : 0,
      ids_used: used, vocab_used_share: used / V, invalid_utf8_replaced: x.replaced,
    };
  };
  const all = { files: 0, documents: 0, bytes: 0, chars: 0, tokens: 0, used: new Uint8Array(V), replaced: 0 };
  for (const d of domains.values()) {
    all.files += d.files;
    all.documents += d.documents;
    all.bytes += d.bytes;
    all.chars += d.chars;
    all.tokens += d.tokens;
    all.replaced += d.replaced;
    for (let i = 0; i < V; i++) all.used[i] |= d.used[i];
  }
  let neverUsed = 0;
  for (let i = 0; i < V; i++) if (!all.used[i] && !tokenizer.isSpecial(i)) neverUsed++;
  const order = Array.from({ length: V }, (_, i) => i).filter((i) => totalCounts[i] > 0)
    .sort((a, b) => totalCounts[b] - totalCounts[a] || a - b).slice(0, options.top ?? 20);
  return {
    vocab_size: V,
    domains: [...domains.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, x]) => row(name, x)),
    total: row("all", all),
    never_used: neverUsed,
    top_tokens: order.map((id) => ({ id, token: tokenizer.decode([id]), count: totalCounts[id] })),
    bad_jsonl_lines: docStats.badLines,
  };
}
