/**
 * Crash-safe file replacement: write a temporary file in the target's folder, fsync it, rename it over the
 * target, then fsync the folder so the rename itself survives a power loss. A reader (or a resumed run) sees
 * either the whole old file or the whole new one, never a torn mix. Synchronous on purpose: checkpoints and
 * tensor files are written at points where the training loop waits anyway, and sync code keeps the ordering
 * of the steps obvious.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * fsyncs a folder so that entries created, renamed or removed in it are durable. Some platforms and file
 * systems cannot fsync a folder (Windows, some network mounts); there the call is a no-op, because the data
 * itself was already fsynced and there is nothing more a program can do.
 */
export function fsyncDir(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    if (isCode(e, "EISDIR") || isCode(e, "EPERM") || isCode(e, "EACCES")) return;
    throw e;
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    if (!(isCode(e, "EINVAL") || isCode(e, "EPERM") || isCode(e, "EBADF") || isCode(e, "ENOTSUP"))) throw e;
  } finally {
    closeSync(fd);
  }
}

/** The temporary name used next to `path`: hidden, unique per process and call, in the same folder. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Runs `write(fd)` on a fresh temporary file beside `path`, then fsyncs, closes and renames it over `path` and
 * fsyncs the folder. If `write` throws, the temporary file is removed and the target is left untouched.
 * This is the building block for writers that stream their output (safetensors, checkpoints).
 */
export function withAtomicFile(path: string, write: (fd: number) => void): void {
  const tmp = tempPathFor(path);
  // "wx": never clobber something already there under the temporary name.
  const fd = openSync(tmp, "wx", 0o644);
  let closed = false;
  try {
    write(fd);
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, path);
  } catch (e) {
    if (!closed) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file may already be gone
    }
    throw e;
  }
  fsyncDir(dirname(path));
}

/** Writes all of `bytes` at the current position of `fd`, looping over short writes. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  // Very large single writes are split: some platforms cap one write at 2 GiB.
  const CHUNK = 1 << 30;
  let off = 0;
  while (off < bytes.length) {
    const n = writeSync(fd, bytes, off, Math.min(CHUNK, bytes.length - off));
    if (n <= 0) throw new Error(`write returned ${n} after ${off} of ${bytes.length} bytes`);
    off += n;
  }
}

/** Replaces the file at `path` with `data` atomically (see the file comment). Strings are written as UTF-8. */
export function writeFileAtomic(path: string, data: string | ArrayBufferView): void {
  const bytes =
    typeof data === "string"
      ? Buffer.from(data, "utf8")
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  withAtomicFile(path, (fd) => writeAll(fd, bytes));
}

function isCode(e: unknown, code: string): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === code;
}
