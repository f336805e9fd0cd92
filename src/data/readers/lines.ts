/**
 * Streams the lines of a plain, gzip or zstd file with bounded memory: the file is read in chunks, decompressed
 * as a stream (zlib for gzip, fzstd for zstd), and split at newlines. Each line is checked for valid UTF-8; a
 * line longer than `maxLineBytes` is skipped (and reported) without ever being held whole. A decompression
 * error ends the file with one reported problem at the line where it happened; nothing throws.
 */
import { createReadStream, openSync, readSync, closeSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import { createGunzip } from "node:zlib";
import { Decompress } from "fzstd";

export type Compression = "none" | "gzip" | "zstd";

export interface LineItem {
  /** 1-based line number */
  lineNo: number;
  /** the decoded line (without the newline and a trailing CR); absent when `error` is set */
  text?: string;
  /** why the line could not be read: "invalid utf-8", "line too long", or a decompression error */
  error?: string;
  /** the first bytes of a bad line, decoded leniently, for the rejected record */
  sample?: string;
  /** bytes of the line, newline included (uncompressed) */
  bytes: number;
}

export interface LineOptions {
  /** "auto" (default) looks at the first bytes */
  compression?: Compression | "auto";
  /** lines longer than this are reported and skipped (default 64 MiB) */
  maxLineBytes?: number;
  /** read chunk size (default 1 MiB) */
  chunkBytes?: number;
}

/** Detects gzip and zstd by their magic numbers. */
export function detectCompression(path: string): Compression {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(4);
    const n = readSync(fd, b, 0, 4, 0);
    if (n >= 2 && b[0] === 0x1f && b[1] === 0x8b) return "gzip";
    if (n >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return "zstd";
    return "none";
  } finally {
    closeSync(fd);
  }
}

/** The decompressed byte chunks of a file. Throws (from the iterator) on a decompression error. */
export async function* byteChunks(path: string, compression: Compression, chunkBytes = 1 << 20): AsyncGenerator<Buffer> {
  const raw = createReadStream(path, { highWaterMark: chunkBytes });
  if (compression === "none") {
    for await (const c of raw) yield c as Buffer;
    return;
  }
  if (compression === "gzip") {
    const gunzip = createGunzip({ chunkSize: 1 << 16 });
    raw.on("error", (e) => gunzip.destroy(e));
    raw.pipe(gunzip);
    for await (const c of gunzip) yield c as Buffer;
    return;
  }
  let out: Uint8Array[] = [];
  const z = new Decompress((chunk) => {
    out.push(chunk);
  });
  try {
    for await (const c of raw) {
      z.push(c as Buffer);
      if (out.length) {
        const ready = out;
        out = [];
        for (const o of ready) yield Buffer.from(o.buffer, o.byteOffset, o.byteLength);
      }
    }
    z.push(new Uint8Array(0), true);
    for (const o of out) yield Buffer.from(o.buffer, o.byteOffset, o.byteLength);
  } finally {
    raw.destroy();
  }
}

const NL = 0x0a;
const EMPTY = Buffer.alloc(0);

/** The lines of a file (see the file comment). */
export async function* readLines(path: string, options: LineOptions = {}): AsyncGenerator<LineItem> {
  const compression = !options.compression || options.compression === "auto" ? detectCompression(path) : options.compression;
  const maxLine = options.maxLineBytes ?? 64 << 20;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let oversized = false;
  let oversizedSample = "";
  let lineNo = 0;

  const finishLine = (tail: Buffer): LineItem => {
    lineNo++;
    const bytes = pendingBytes + tail.length + 1;
    if (oversized) {
      oversized = false;
      pending = [];
      pendingBytes = 0;
      return { lineNo, error: "line too long", sample: oversizedSample, bytes };
    }
    const buf = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 0x0d) end--;
    const line = end === buf.length ? buf : buf.subarray(0, end);
    if (!isUtf8(line)) return { lineNo, error: "invalid utf-8", sample: line.subarray(0, 300).toString("utf8"), bytes };
    return { lineNo, text: line.toString("utf8"), bytes };
  };

  try {
    for await (const chunk of byteChunks(path, compression, options.chunkBytes)) {
      let start = 0;
      while (start < chunk.length) {
        const nl = chunk.indexOf(NL, start);
        if (nl < 0) {
          const rest = chunk.subarray(start);
          if (oversized) {
            pendingBytes += rest.length;
          } else if (pendingBytes + rest.length > maxLine) {
            oversized = true;
            oversizedSample = Buffer.concat([...pending, rest]).subarray(0, 300).toString("utf8");
            pending = [];
            pendingBytes += rest.length;
          } else {
            // copy: the chunk's memory may be reused by the stream
            pending.push(Buffer.from(rest));
            pendingBytes += rest.length;
          }
          break;
        }
        const tail = chunk.subarray(start, nl);
        if (!oversized && pendingBytes + tail.length > maxLine) {
          oversized = true;
          oversizedSample = Buffer.concat([...pending, tail]).subarray(0, 300).toString("utf8");
          pending = [];
        }
        if (oversized) {
          pendingBytes += tail.length;
          yield finishLine(EMPTY);
        } else {
          yield finishLine(tail);
        }
        start = nl + 1;
      }
    }
  } catch (e) {
    yield { lineNo: lineNo + 1, error: `${compression} stream error: ${(e as Error).message}`, bytes: pendingBytes };
    return;
  }
  if (pendingBytes > 0 || oversized) {
    // a last line without a newline
    const item = finishLine(EMPTY);
    item.bytes -= 1;
    yield item;
  }
}
