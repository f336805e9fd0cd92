/** Plain text files: each file is one document whose id is its path. */
import { closeSync, openSync, readSync, fstatSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import type { ReadItem } from "../document.js";

export interface TextReadOptions {
  domain: string;
  /** files larger than this are rejected (default 64 MiB) */
  maxFileBytes: number;
}

export async function* readTextFile(path: string, rel: string, o: TextReadOptions): AsyncGenerator<ReadItem> {
  const fd = openSync(path, "r");
  let buf: Buffer;
  try {
    const size = fstatSync(fd).size;
    if (size > o.maxFileBytes) {
      yield { rejected: { file: rel, line: null, reason: "file too large", detail: `${size} bytes > ${o.maxFileBytes}` }, bytes: size };
      return;
    }
    buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n <= 0) break;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  if (!isUtf8(buf)) {
    yield { rejected: { file: rel, line: null, reason: "invalid utf-8", sample: buf.subarray(0, 300).toString("utf8") }, bytes: buf.length };
    return;
  }
  const text = buf.toString("utf8");
  if (text.trim() === "") {
    yield { rejected: { file: rel, line: null, reason: "empty file" }, bytes: buf.length };
    return;
  }
  yield { doc: { id: rel, text, meta: { source: rel, domain: o.domain } }, bytes: buf.length };
}
