/**
 * The safetensors format (https://github.com/huggingface/safetensors), read and written without loading a
 * whole file: an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`, then the data
 * section; offsets are relative to the start of the data section; all numbers little-endian.
 *
 * The reader parses and checks only the header when opening and reads each tensor on demand with positioned
 * reads, so a multi-gigabyte checkpoint costs memory only for the tensors asked for. The writer streams tensor
 * by tensor into a temporary file and renames it over the target (see atomic.ts).
 *
 * Reading is a little more lenient than the reference implementation: gaps between tensors and trailing bytes
 * after the last one are accepted (they waste space but do not make any tensor ambiguous). Overlapping tensors,
 * bad sizes and out-of-file offsets are errors.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { withAtomicFile, writeAll } from "./atomic.js";

export type Dtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "U16" | "U32" | "U64" | "BOOL";

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<Dtype, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, U16: 2, U32: 4, U64: 8, BOOL: 1,
};

export function isDtype(s: unknown): s is Dtype {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

export interface TensorInfo {
  dtype: Dtype;
  shape: number[];
  /** Number of elements (product of the shape; 1 for a scalar with shape []). */
  numel: number;
  byteLength: number;
  /** [begin, end) relative to the data section, as stored in the header. */
  dataOffsets: [number, number];
}

export interface TensorToWrite {
  name: string;
  dtype: Dtype;
  shape: readonly number[];
  /** The tensor's bytes in little-endian order (e.g. a Float32Array for F32, a Uint16Array for BF16/F16). */
  data: ArrayBufferView;
}

/** A problem with a safetensors file or with tensors to write: names the file, the problem and what to do. */
export class SafetensorsError extends Error {
  readonly file: string;
  constructor(file: string, problem: string, hint?: string) {
    super(`${file}: ${problem}${hint ? `; ${hint}` : ""}`);
    this.name = "SafetensorsError";
    this.file = file;
  }
}

const METADATA_KEY = "__metadata__";
const HOST_LE = endianness() === "LE";
/** Tensors are converted in slices of this many elements so a conversion never needs a second full copy. */
const CONVERT_CHUNK = 1 << 20;
/** One positioned read is at most this long (platforms cap single reads near 2 GiB). */
const READ_CHUNK = 1 << 30;
const MAX_HEADER_BYTES = 100_000_000;

function requireLittleEndianHost(): void {
  if (!HOST_LE) throw new Error("safetensors: big-endian hosts are not supported");
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Reads tensors from one safetensors file. Call `close()` when done (the file descriptor stays open until then). */
export class SafetensorsReader {
  readonly path: string;
  readonly metadata: Record<string, string>;
  /** Total header size including the 8-byte length prefix: where the data section starts in the file. */
  readonly dataStart: number;
  readonly fileSize: number;
  private fd: number | null;
  private readonly tensors: Map<string, TensorInfo>;

  /** Use `openSafetensors(path)`. */
  constructor(path: string, fd: number, fileSize: number, dataStart: number, metadata: Record<string, string>,
    tensors: Map<string, TensorInfo>) {
    this.path = path;
    this.fd = fd;
    this.fileSize = fileSize;
    this.dataStart = dataStart;
    this.metadata = metadata;
    this.tensors = tensors;
  }

  /** Tensor names in the order their data appears in the file. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) {
      const all = this.names();
      const shown = all.slice(0, 8).join(", ") + (all.length > 8 ? `, … (${all.length} in all)` : "");
      throw new SafetensorsError(this.path, `no tensor named "${name}"`,
        all.length ? `the file has: ${shown}` : "the file holds no tensors");
    }
    return { ...t, shape: [...t.shape], dataOffsets: [t.dataOffsets[0], t.dataOffsets[1]] };
  }

  /** The tensor's bytes exactly as stored (little-endian), in a fresh buffer. */
  readRaw(name: string): Uint8Array {
    const t = this.info(name);
    const out = new Uint8Array(t.byteLength);
    this.readInto(t, 0, out);
    return out;
  }

  /**
   * The tensor as float32, converting F64, F16, BF16, BOOL and every integer type (large 64-bit integers lose
   * precision as float32 does). With `into`, writes there (its length must equal the tensor's element count)
   * and returns it; `into` may be a view into a larger arena.
   */
  readF32(name: string, into?: Float32Array): Float32Array {
    requireLittleEndianHost();
    const t = this.info(name);
    const out = into ?? new Float32Array(t.numel);
    if (out.length !== t.numel) {
      throw new SafetensorsError(this.path,
        `readF32("${name}"): destination has ${out.length} elements but the tensor has ${t.numel} (shape [${t.shape}])`,
        "pass a Float32Array of the tensor's size");
    }
    if (t.dtype === "F32") {
      this.readInto(t, 0, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
      return out;
    }
    this.convertChunks(t, (src, at) => {
      const n2 = src.length / 2;
      if (t.dtype === "F16") f16ToF32(new Uint16Array(src.buffer, 0, n2), out.subarray(at, at + n2));
      else if (t.dtype === "BF16") bf16ToF32(new Uint16Array(src.buffer, 0, n2), out.subarray(at, at + n2));
      else {
        const v = typedView(t.dtype, src);
        const n = v.length;
        if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
          for (let i = 0; i < n; i++) out[at + i] = Number(v[i]);
        } else {
          for (let i = 0; i < n; i++) out[at + i] = v[i];
        }
      }
    });
    return out;
  }

  /**
   * The tensor as int32 (token ids, indices): from any integer type or BOOL; 64-bit and U32 values are checked
   * to fit in int32. Float tensors are refused rather than silently truncated.
   */
  readI32(name: string): Int32Array {
    requireLittleEndianHost();
    const t = this.info(name);
    if (t.dtype === "F64" || t.dtype === "F32" || t.dtype === "F16" || t.dtype === "BF16") {
      throw new SafetensorsError(this.path, `readI32("${name}"): the tensor is ${t.dtype}, not an integer type`,
        "use readF32 for floating-point tensors");
    }
    const out = new Int32Array(t.numel);
    if (t.dtype === "I32") {
      this.readInto(t, 0, new Uint8Array(out.buffer));
      return out;
    }
    this.convertChunks(t, (src, at) => {
      const v = typedView(t.dtype, src);
      const n = v.length;
      for (let i = 0; i < n; i++) {
        const x = typeof v[i] === "bigint" ? Number(v[i]) : (v[i] as number);
        if (x > 2147483647 || x < -2147483648) {
          throw new SafetensorsError(this.path,
            `readI32("${name}"): element ${at + i} is ${String(v[i])}, outside the int32 range`,
            "read it with readRaw and handle 64-bit values yourself");
        }
        out[at + i] = x;
      }
    });
    return out;
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  /** Reads the tensor slice by slice into a scratch buffer and hands each slice with its first element index. */
  private convertChunks(t: TensorInfo, use: (bytes: Uint8Array, firstElement: number) => void): void {
    const size = DTYPE_SIZE[t.dtype];
    const perChunk = Math.min(CONVERT_CHUNK, t.numel);
    const scratch = new Uint8Array(perChunk * size);
    for (let at = 0; at < t.numel; at += perChunk) {
      const n = Math.min(perChunk, t.numel - at);
      const bytes = scratch.subarray(0, n * size);
      this.readInto(t, at * size, bytes);
      use(bytes, at);
    }
  }

  /** Positioned read of `dst.length` bytes starting `offset` bytes into the tensor's data. */
  private readInto(t: TensorInfo, offset: number, dst: Uint8Array): void {
    if (this.fd === null) throw new SafetensorsError(this.path, "the reader is closed", "open the file again");
    let pos = this.dataStart + t.dataOffsets[0] + offset;
    let done = 0;
    while (done < dst.length) {
      const n = readSync(this.fd, dst, done, Math.min(READ_CHUNK, dst.length - done), pos);
      if (n <= 0) {
        throw new SafetensorsError(this.path, `truncated: expected at least ${pos + 1} bytes, file ended at ${pos}`,
          "the file shrank after it was opened; check what else writes it");
      }
      done += n;
      pos += n;
    }
  }
}

/** A typed view over a scratch buffer (offset 0, so aligned) for the integer/F64/BOOL conversion paths. */
function typedView(dtype: Dtype, b: Uint8Array): ArrayLike<number> | BigInt64Array | BigUint64Array {
  const buf = b.buffer;
  switch (dtype) {
    case "F64": return new Float64Array(buf, 0, b.length / 8);
    case "I64": return new BigInt64Array(buf, 0, b.length / 8);
    case "U64": return new BigUint64Array(buf, 0, b.length / 8);
    case "I32": return new Int32Array(buf, 0, b.length / 4);
    case "U32": return new Uint32Array(buf, 0, b.length / 4);
    case "I16": return new Int16Array(buf, 0, b.length / 2);
    case "U16": return new Uint16Array(buf, 0, b.length / 2);
    case "I8": return new Int8Array(buf, 0, b.length);
    case "U8": return new Uint8Array(buf, 0, b.length);
    case "BOOL": return new Uint8Array(buf, 0, b.length);
    default: throw new Error(`internal: no integer view for ${dtype}`);
  }
}

/** Opens a safetensors file and validates its header; tensors are read later, on demand. */
export function openSafetensors(path: string): SafetensorsReader {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new SafetensorsError(path, `cannot open: ${(e as Error).message}`, "check the path");
  }
  try {
    const { dataStart, metadata, tensors, size } = parseHeader(path, fd);
    return new SafetensorsReader(path, fd, size, dataStart, metadata, tensors);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

const NOT_SAFETENSORS = "is this a safetensors file? It may be damaged; re-export or download it again";

function parseHeader(path: string, fd: number): {
  dataStart: number; metadata: Record<string, string>; tensors: Map<string, TensorInfo>; size: number;
} {
  const size = fstatSync(fd).size;
  if (size < 8) {
    throw new SafetensorsError(path, `file is ${size} bytes, shorter than the 8-byte header length`, NOT_SAFETENSORS);
  }
  const prefix = Buffer.alloc(8);
  readExactly(fd, prefix, 0);
  const n64 = prefix.readBigUInt64LE(0);
  if (n64 > BigInt(size - 8)) {
    throw new SafetensorsError(path,
      `header length ${n64} is larger than the file (${size} bytes, so at most ${size - 8} bytes of header)`,
      NOT_SAFETENSORS);
  }
  // The reference implementation refuses headers over 100 MB; a larger value means a damaged or foreign file,
  // and trusting it would mean allocating gigabytes.
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(path, `header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit`, NOT_SAFETENSORS);
  }
  const n = Number(n64);
  const headerBytes = Buffer.alloc(n);
  readExactly(fd, headerBytes, 8);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(path, "header is not valid UTF-8", NOT_SAFETENSORS);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(path, `header is not valid JSON (${(e as Error).message})`, NOT_SAFETENSORS);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new SafetensorsError(path, "header JSON is not an object", NOT_SAFETENSORS);
  }
  const dataStart = 8 + n;
  const metadata: Record<string, string> = {};
  const entries: [string, TensorInfo][] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        throw new SafetensorsError(path, `"${METADATA_KEY}" must be an object of strings`, NOT_SAFETENSORS);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") {
          throw new SafetensorsError(path, `"${METADATA_KEY}.${k}" must be a string, got ${JSON.stringify(v)}`,
            NOT_SAFETENSORS);
        }
        metadata[k] = v;
      }
      continue;
    }
    entries.push([name, parseEntry(path, name, raw)]);
  }
  // Out-of-file first: a truncated download is the most common failure and deserves the precise message.
  let maxEnd = 0;
  for (const [, t] of entries) maxEnd = Math.max(maxEnd, t.dataOffsets[1]);
  if (dataStart + maxEnd > size) {
    throw new SafetensorsError(path, `truncated: expected at least ${dataStart + maxEnd} bytes, file has ${size}`,
      "the file was cut short (interrupted download, copy or write); get it again");
  }
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let prev: [string, TensorInfo] | null = null;
  for (const e of entries) {
    if (e[1].byteLength === 0) continue; // empty tensors occupy no bytes and cannot overlap anything
    if (prev && e[1].dataOffsets[0] < prev[1].dataOffsets[1]) {
      throw new SafetensorsError(path,
        `tensors "${prev[0]}" [${prev[1].dataOffsets}] and "${e[0]}" [${e[1].dataOffsets}] overlap`,
        "the header is inconsistent; the writer that produced this file is broken");
    }
    prev = e;
  }
  return { dataStart, metadata, tensors: new Map(entries), size };
}

function parseEntry(path: string, name: string, raw: unknown): TensorInfo {
  const bad = (problem: string) =>
    new SafetensorsError(path, `tensor "${name}": ${problem}`, NOT_SAFETENSORS);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw bad("header entry is not an object");
  const r = raw as Record<string, unknown>;
  if (!isDtype(r.dtype)) {
    throw new SafetensorsError(path, `tensor "${name}": unknown dtype ${JSON.stringify(r.dtype)}`,
      `supported dtypes: ${Object.keys(DTYPE_SIZE).join(", ")}`);
  }
  const dtype = r.dtype;
  if (!Array.isArray(r.shape) || !r.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw bad(`shape must be an array of non-negative integers, got ${JSON.stringify(r.shape)}`);
  }
  const shape = r.shape as number[];
  const off = r.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
    throw bad(`data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(off)}`);
  }
  const [begin, end] = off as [number, number];
  if (end < begin) throw bad(`data_offsets [${begin}, ${end}] end before they begin`);
  const numel = numelOf(shape);
  const byteLength = numel * DTYPE_SIZE[dtype];
  if (!Number.isSafeInteger(byteLength) || byteLength !== end - begin) {
    throw bad(`shape [${shape}] of ${dtype} needs ${byteLength} bytes but data_offsets [${begin}, ${end}] ` +
      `hold ${end - begin}`);
  }
  return { dtype, shape, numel, byteLength, dataOffsets: [begin, end] };
}

function readExactly(fd: number, dst: Uint8Array, pos: number): void {
  let done = 0;
  while (done < dst.length) {
    const n = readSync(fd, dst, done, Math.min(READ_CHUNK, dst.length - done), pos + done);
    if (n <= 0) throw new Error(`unexpected end of file at byte ${pos + done}`);
    done += n;
  }
}

/**
 * Writes tensors (in the given order) and optional string metadata to `path`, atomically: the data goes to a
 * temporary file in the same folder that replaces `path` only once complete and fsynced. Each tensor's bytes
 * are written straight from its buffer; nothing is concatenated in memory.
 */
export function writeSafetensors(path: string, tensors: readonly TensorToWrite[],
  metadata?: Readonly<Record<string, string>>): void {
  requireLittleEndianHost();
  const seen = new Set<string>();
  const parts: string[] = [];
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        throw new SafetensorsError(path, `metadata "${k}" must be a string, got ${typeof v}`,
          "convert values to strings (JSON.stringify for structured values)");
      }
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const t of tensors) {
    const bad = (problem: string, hint: string) => new SafetensorsError(path, `tensor "${t.name}": ${problem}`, hint);
    if (typeof t.name !== "string" || t.name === "" || t.name === METADATA_KEY) {
      throw new SafetensorsError(path, `bad tensor name ${JSON.stringify(t.name)}`,
        `names must be non-empty strings other than "${METADATA_KEY}"`);
    }
    if (seen.has(t.name)) throw bad("name given twice", "tensor names must be unique");
    seen.add(t.name);
    if (!isDtype(t.dtype)) {
      throw bad(`unknown dtype ${JSON.stringify(t.dtype)}`, `supported: ${Object.keys(DTYPE_SIZE).join(", ")}`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`, "fix the shape");
    }
    if (!ArrayBuffer.isView(t.data)) throw bad("data is not a typed array or DataView", "pass the tensor's bytes");
    const need = numelOf(t.shape) * DTYPE_SIZE[t.dtype];
    if (t.data.byteLength !== need) {
      throw bad(`shape [${t.shape}] of ${t.dtype} needs ${need} bytes but data has ${t.data.byteLength}`,
        "check the shape, the dtype and the array type (e.g. Uint16Array for F16/BF16)");
    }
    const info = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + need] };
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify(info)}`);
    offset += need;
  }
  // The header string is built by hand so the keys keep the tensors' order (a JS object would move
  // integer-like names such as "0" to the front).
  let header = Buffer.from(`{${parts.join(",")}}`, "utf8");
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) header = Buffer.concat([header, Buffer.alloc(padded - header.length, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length), 0);
  withAtomicFile(path, (fd) => {
    writeAll(fd, prefix);
    writeAll(fd, header);
    for (const t of tensors) writeAll(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  });
}

// ---- float conversions -------------------------------------------------------------------------------------

/** float32 → bfloat16 bits, round to nearest even; NaN stays NaN (quiet bit forced so it cannot become Inf). */
export function f32ToBf16(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  checkLengths("f32ToBf16", src.length, out.length);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    if ((x & 0x7fffffff) > 0x7f800000) {
      out[i] = (x >>> 16) | 0x0040;
    } else {
      // Adding 0x7fff plus the lowest kept bit rounds ties toward an even result; the carry may reach the
      // exponent, which is exactly the right result (including overflow to ±Inf).
      out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

/** bfloat16 bits → float32 (exact). */
export function bf16ToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  checkLengths("bf16ToF32", src.length, out.length);
  const bits = new Uint32Array(out.buffer, out.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}

/** One float32 bit pattern → IEEE half bits, round to nearest even, subnormals exact, overflow → ±Inf. */
function halfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13); // Inf / quiet NaN
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Half subnormal m·2⁻²⁴; the float's significand (with its hidden bit) shifted right by 14−e bits.
    // Below e = −10 the value is under half the smallest subnormal and rounds to zero.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++; // a carry into 0x400 is the smallest normal: correct
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // carry may reach 0x7c00 = Inf: correct
  return sign | h;
}

/** float32 → IEEE half bits, round to nearest even, with subnormals and overflow to ±Inf. */
export function f32ToF16(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  checkLengths("f32ToF16", src.length, out.length);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfBits(bits[i]);
  return out;
}

let halfTable: Float32Array | null = null;

/** IEEE half bits → float32 (exact), via a 65,536-entry table built on first use. */
export function f16ToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  checkLengths("f16ToF32", src.length, out.length);
  if (halfTable === null) {
    const table = new Float32Array(65536);
    const tb = new Uint32Array(table.buffer);
    for (let h = 0; h < 65536; h++) {
      const sign = (h & 0x8000) << 16;
      const exp = (h >>> 10) & 0x1f;
      const mant = h & 0x3ff;
      if (exp === 0) table[h] = (sign ? -1 : 1) * mant * 2 ** -24;
      else if (exp === 31) tb[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
      else tb[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    }
    halfTable = table;
  }
  const t = halfTable;
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]];
  return out;
}

function checkLengths(fn: string, n: number, outLen: number): void {
  if (outLen !== n) {
    throw new RangeError(`${fn}: output has ${outLen} elements, input has ${n}`);
  }
}
