/**
 * Token shards: the binary files training reads. Layout (little-endian):
 *
 *   0      8   magic "PTTOKENS"
 *   8      4   format version (u32), currently 1
 *   12     4   header length H (u32)
 *   16     H   header: UTF-8 JSON {dtype, vocab_size, tokens, documents, tokenizer_sha256, domain, …}
 *   …          zero padding to a multiple of 8
 *   T          tokens: `tokens` values of dtype (uint16 when the vocabulary fits, else uint32)
 *   …          zero padding to a multiple of 8
 *   O          document offsets: documents + 1 u64 values, offsets[i] = first token of document i, last = tokens
 *
 * The file describes itself (the header says what it holds and which tokenizer made it), its size is fully
 * determined by the header (so truncation is detected before any read), and tokens are read on demand with
 * positioned reads: a shard is never loaded whole.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { withAtomicFile, writeAll } from "../../util/atomic.js";

export const SHARD_MAGIC = "PTTOKENS";
export const SHARD_VERSION = 1;
const PREFIX = 16;

export type TokenDtype = "uint16" | "uint32";

/** What the writer is told; the header adds dtype and the counts. */
export interface ShardMeta {
  vocab_size: number;
  /** SHA-256 of the tokenizer that produced the tokens (its canonical JSON) */
  tokenizer_sha256: string;
  domain: string;
  /** free-form provenance (input files, tool version) */
  source?: string;
}

export interface ShardHeader extends ShardMeta {
  dtype: TokenDtype;
  tokens: number;
  documents: number;
}

export class ShardError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "ShardError";
  }
}

export function dtypeFor(vocabSize: number): TokenDtype {
  return vocabSize <= 65536 ? "uint16" : "uint32";
}

const align8 = (n: number) => (n + 7) & ~7;
const bytesOf = (d: TokenDtype) => (d === "uint16" ? 2 : 4);

function layout(h: ShardHeader, headerBytes: number): { tokens: number; offsets: number; size: number } {
  const tokens = align8(PREFIX + headerBytes);
  const offsets = align8(tokens + h.tokens * bytesOf(h.dtype));
  return { tokens, offsets, size: offsets + (h.documents + 1) * 8 };
}

/**
 * Writes one shard from documents given as token arrays. Documents are appended in order; `finish` writes the file
 * atomically. Tokens are kept in memory until then (shards are sized so that this is small: see ShardSetWriter).
 */
export class ShardWriter {
  private chunks: (Uint16Array | Uint32Array)[] = [];
  private offsets: number[] = [0];
  private count = 0;
  private readonly dtype: TokenDtype;

  constructor(private readonly path: string, private readonly meta: ShardMeta) {
    this.dtype = dtypeFor(meta.vocab_size);
  }

  get tokens(): number {
    return this.count;
  }

  get documents(): number {
    return this.offsets.length - 1;
  }

  add(doc: ArrayLike<number>): void {
    const out = this.dtype === "uint16" ? new Uint16Array(doc.length) : new Uint32Array(doc.length);
    for (let i = 0; i < doc.length; i++) {
      const t = doc[i];
      if (!(t >= 0 && t < this.meta.vocab_size)) {
        throw new ShardError(this.path, `token ${t} (document ${this.documents}, position ${i}) is outside the vocabulary [0, ${this.meta.vocab_size})`);
      }
      out[i] = t;
    }
    this.chunks.push(out);
    this.count += doc.length;
    this.offsets.push(this.count);
  }

  finish(): ShardHeader {
    const header: ShardHeader = { ...this.meta, dtype: this.dtype, tokens: this.count, documents: this.documents };
    const json = Buffer.from(JSON.stringify(header), "utf8");
    const l = layout(header, json.length);
    withAtomicFile(this.path, (fd) => {
      const prefix = Buffer.alloc(l.tokens);
      prefix.write(SHARD_MAGIC, 0, "latin1");
      prefix.writeUInt32LE(SHARD_VERSION, 8);
      prefix.writeUInt32LE(json.length, 12);
      json.copy(prefix, PREFIX);
      writeAll(fd, prefix);
      for (const c of this.chunks) writeAll(fd, new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
      const pad = l.offsets - (l.tokens + this.count * bytesOf(this.dtype));
      if (pad) writeAll(fd, new Uint8Array(pad));
      const offs = new BigUint64Array(this.offsets.length);
      this.offsets.forEach((o, i) => (offs[i] = BigInt(o)));
      writeAll(fd, new Uint8Array(offs.buffer));
    });
    this.chunks = [];
    return header;
  }
}

/** Reads a shard: the header and document offsets at open, tokens on demand. */
export class ShardReader {
  readonly header: ShardHeader;
  private readonly fd: number;
  private readonly tokenStart: number;
  private readonly offsets: Float64Array;
  private readonly bytes: number;

  constructor(readonly path: string) {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      throw new ShardError(path, `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    this.fd = fd;
    try {
      const size = fstatSync(fd).size;
      const prefix = Buffer.alloc(PREFIX);
      if (size < PREFIX || readSync(fd, prefix, 0, PREFIX, 0) < PREFIX) {
        throw new ShardError(path, `too short to be a token shard (${size} bytes)`);
      }
      if (prefix.toString("latin1", 0, 8) !== SHARD_MAGIC) {
        throw new ShardError(path, "not a pretrain-ts token shard (bad magic); produce shards with `pretrain data tokenize`");
      }
      const version = prefix.readUInt32LE(8);
      if (version > SHARD_VERSION) {
        throw new ShardError(path, `shard format version ${version} is newer than this program supports (${SHARD_VERSION}); upgrade pretrain-ts`);
      }
      if (version < 1) throw new ShardError(path, `unknown shard format version ${version}`);
      const hl = prefix.readUInt32LE(12);
      if (hl > 1 << 20 || PREFIX + hl > size) throw new ShardError(path, `header length ${hl} is impossible for a ${size}-byte file (truncated or damaged)`);
      const hb = Buffer.alloc(hl);
      readSync(fd, hb, 0, hl, PREFIX);
      let header: ShardHeader;
      try {
        header = JSON.parse(hb.toString("utf8")) as ShardHeader;
      } catch {
        throw new ShardError(path, "the header is not valid JSON (damaged file)");
      }
      for (const k of ["tokens", "documents", "vocab_size"] as const) {
        if (!Number.isSafeInteger(header[k]) || header[k] < 0) throw new ShardError(path, `header field ${k} is invalid`);
      }
      if (header.dtype !== "uint16" && header.dtype !== "uint32") throw new ShardError(path, `unknown token dtype ${String(header.dtype)}`);
      const l = layout(header, hl);
      if (size < l.size) throw new ShardError(path, `truncated: expected ${l.size} bytes, the file has ${size}`);
      if (size > l.size) throw new ShardError(path, `${size - l.size} unexpected bytes after the document offsets (damaged file)`);
      this.header = header;
      this.tokenStart = l.tokens;
      this.bytes = bytesOf(header.dtype);
      const ob = Buffer.alloc((header.documents + 1) * 8);
      readSync(fd, ob, 0, ob.length, l.offsets);
      const big = new BigUint64Array(ob.buffer, ob.byteOffset, header.documents + 1);
      this.offsets = Float64Array.from(big, (x) => Number(x));
      for (let i = 0; i < header.documents; i++) {
        if (!(this.offsets[i] <= this.offsets[i + 1])) throw new ShardError(path, `document offsets are not increasing at document ${i}`);
      }
      if (this.offsets[0] !== 0 || this.offsets[header.documents] !== header.tokens) {
        throw new ShardError(path, "document offsets do not span the tokens (damaged file)");
      }
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  get tokens(): number {
    return this.header.tokens;
  }

  get documents(): number {
    return this.header.documents;
  }

  /** [start, end) token range of document i */
  document(i: number): [number, number] {
    if (!(i >= 0 && i < this.header.documents)) throw new RangeError(`${this.path}: no document ${i} (it has ${this.header.documents})`);
    return [this.offsets[i], this.offsets[i + 1]];
  }

  /** Reads tokens [start, start + count) into out (from outOffset). */
  read(start: number, count: number, out: Int32Array, outOffset = 0): void {
    if (start < 0 || count < 0 || start + count > this.header.tokens) {
      throw new RangeError(`${this.path}: tokens [${start}, ${start + count}) outside [0, ${this.header.tokens})`);
    }
    if (outOffset + count > out.length) throw new RangeError(`read: the output has room for ${out.length - outOffset} tokens, ${count} asked`);
    const buf = Buffer.alloc(count * this.bytes);
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, this.tokenStart + start * this.bytes + done);
      if (n <= 0) throw new ShardError(this.path, `unexpected end of file reading tokens at ${start}`);
      done += n;
    }
    const view = this.bytes === 2 ? new Uint16Array(buf.buffer, buf.byteOffset, count) : new Uint32Array(buf.buffer, buf.byteOffset, count);
    for (let i = 0; i < count; i++) out[outOffset + i] = view[i];
  }

  close(): void {
    closeSync(this.fd);
  }
}
