/**
 * `<out>/rejected.jsonl`: one line per record that could not be tokenized — `{"domain", "file", "line",
 * "reason", "detail", "sample"}` — as the cleaning pipeline writes its rejected records. It is written under a
 * temporary name and renamed into place when the run ends, so a file with that name is always complete.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { fsyncDir, tempPathFor, writeAll } from "../../util/atomic.js";
import { snippet, type RejectedRecord } from "../document.js";

const FLUSH_BYTES = 1 << 16;

export class RejectedLog {
  private fd: number | null;
  private readonly tmp: string;
  private buffered: string[] = [];
  private bufferedBytes = 0;
  /** rejected records by reason */
  readonly byReason: Record<string, number> = {};
  count = 0;

  constructor(private readonly path: string) {
    this.tmp = tempPathFor(path);
    this.fd = openSync(this.tmp, "wx", 0o644);
  }

  write(domain: string, r: RejectedRecord): void {
    this.count++;
    this.byReason[r.reason] = (this.byReason[r.reason] ?? 0) + 1;
    const line = JSON.stringify({
      domain, file: r.file, line: r.line, reason: r.reason,
      ...(r.detail !== undefined ? { detail: r.detail } : {}),
      ...(r.sample !== undefined ? { sample: snippet(r.sample, 300) } : {}),
    }) + "\n";
    this.buffered.push(line);
    this.bufferedBytes += line.length;
    if (this.bufferedBytes >= FLUSH_BYTES) this.flush();
  }

  /** Writes what is left and renames the file into place. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    renameSync(this.tmp, this.path);
    fsyncDir(dirname(this.path));
  }

  /** After a failure: removes the temporary file. */
  abort(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    try {
      unlinkSync(this.tmp);
    } catch {
      // already gone
    }
  }

  private flush(): void {
    if (this.buffered.length === 0 || this.fd === null) return;
    writeAll(this.fd, Buffer.from(this.buffered.join(""), "utf8"));
    this.buffered = [];
    this.bufferedBytes = 0;
  }
}
