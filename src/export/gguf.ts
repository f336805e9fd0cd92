/**
 * A small, general GGUF (version 3) writer: typed metadata and F32/F16 tensors, as llama.cpp reads them.
 *
 * Layout (all integers little-endian):
 *   "GGUF" · u32 version 3 · u64 tensor count · u64 metadata count
 *   metadata: string key · u32 value type · value            (strings are u64 length + UTF-8 bytes;
 *                                                              arrays are u32 item type · u64 count · items)
 *   tensor infos: string name · u32 n_dims · u64 dims[n] (ne0 first, i.e. the innermost/contiguous dimension
 *                 first, the reverse of PyTorch's shape) · u32 type · u64 offset in the data section
 *   padding to the alignment, then the data section: each tensor's bytes at its offset, offsets aligned.
 * The alignment is 32 unless a "general.alignment" (u32) entry says otherwise.
 */
import { writeFileAtomic } from "../util/atomic.js";

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** GGUF metadata value types. */
export enum GgufType {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9,
  UINT64 = 10, INT64 = 11, FLOAT64 = 12,
}

/** GGML tensor types this writer supports. */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  /** blocks of 32 values along ne0: an f16 scale d = max|x|/127, then 32 int8 q = round(x/d) (34 bytes) */
  Q8_0 = 8,
}

export const Q8_0_BLOCK = 32;
const Q8_0_BYTES = 34;

/** Bytes a tensor of this type and these dims (ne0 first) occupies. */
export function ggmlTensorBytes(type: GgmlType, dims: readonly number[]): number {
  const count = dims.reduce((a, b) => a * b, 1);
  switch (type) {
    case GgmlType.F32: return 4 * count;
    case GgmlType.F16: return 2 * count;
    case GgmlType.Q8_0:
      if ((dims[0] ?? 0) % Q8_0_BLOCK !== 0) throw new RangeError(`Q8_0 needs ne0 to be a multiple of ${Q8_0_BLOCK}, got ${dims[0]}`);
      return (count / Q8_0_BLOCK) * Q8_0_BYTES;
    default: throw new RangeError(`unsupported GGML type ${type as number}`);
  }
}

/** Q8_0 quantization of `x` (length a multiple of 32), as llama.cpp's reference quantizer does it. */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  if (x.length % Q8_0_BLOCK !== 0) throw new RangeError(`Q8_0: ${x.length} values are not whole blocks of ${Q8_0_BLOCK}`);
  const out = new Uint8Array((x.length / Q8_0_BLOCK) * Q8_0_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0, at = 0; b < x.length; b += Q8_0_BLOCK, at += Q8_0_BYTES) {
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(x[b + j]));
    const d = Math.fround(amax / 127);
    const inv = d ? Math.fround(1 / d) : 0;
    view.setUint16(at, f32ToF16(d), true);
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const v = Math.fround(x[b + j] * inv);
      view.setInt8(at + 2 + j, Math.sign(v) * Math.round(Math.abs(v))); // roundf: halves away from zero
    }
  }
  return out;
}

export type GgufScalarType = Exclude<GgufType, GgufType.ARRAY>;

export type GgufValue =
  | { type: GgufScalarType; value: number | bigint | boolean | string }
  | { type: GgufType.ARRAY; itemType: GgufScalarType; values: readonly (number | bigint | boolean | string)[] };

export interface GgufTensor {
  name: string;
  /** dimensions, ne0 (contiguous) first */
  dims: readonly number[];
  type: GgmlType;
  /** row-major values (float32; converted when type is F16 or Q8_0) */
  data: Float32Array;
}

export const gguf = {
  u32: (value: number): GgufValue => ({ type: GgufType.UINT32, value }),
  i32: (value: number): GgufValue => ({ type: GgufType.INT32, value }),
  u64: (value: number | bigint): GgufValue => ({ type: GgufType.UINT64, value }),
  f32: (value: number): GgufValue => ({ type: GgufType.FLOAT32, value }),
  bool: (value: boolean): GgufValue => ({ type: GgufType.BOOL, value }),
  str: (value: string): GgufValue => ({ type: GgufType.STRING, value }),
  strings: (values: readonly string[]): GgufValue => ({ type: GgufType.ARRAY, itemType: GgufType.STRING, values }),
  i32s: (values: readonly number[]): GgufValue => ({ type: GgufType.ARRAY, itemType: GgufType.INT32, values }),
  f32s: (values: readonly number[]): GgufValue => ({ type: GgufType.ARRAY, itemType: GgufType.FLOAT32, values }),
};

/** float32 → IEEE half, rounding to nearest even; overflow gives ±Inf, NaN stays NaN. */
export function f32ToF16(x: number): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = x;
  const bits = u[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    mant |= 0x800000; // subnormal half: shift the implicit 1 in
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++; // a carry into the exponent is still correct
  return sign | half;
}

class Writer {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  n = 0;
  private readonly utf8 = new TextEncoder();

  private ensure(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + extra) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }
  u8(v: number): void { this.ensure(1); this.view.setUint8(this.n, v); this.n += 1; }
  i8(v: number): void { this.ensure(1); this.view.setInt8(this.n, v); this.n += 1; }
  u16(v: number): void { this.ensure(2); this.view.setUint16(this.n, v, true); this.n += 2; }
  i16(v: number): void { this.ensure(2); this.view.setInt16(this.n, v, true); this.n += 2; }
  u32(v: number): void { this.ensure(4); this.view.setUint32(this.n, v, true); this.n += 4; }
  i32(v: number): void { this.ensure(4); this.view.setInt32(this.n, v, true); this.n += 4; }
  f32(v: number): void { this.ensure(4); this.view.setFloat32(this.n, v, true); this.n += 4; }
  f64(v: number): void { this.ensure(8); this.view.setFloat64(this.n, v, true); this.n += 8; }
  u64(v: number | bigint): void { this.ensure(8); this.view.setBigUint64(this.n, BigInt(v), true); this.n += 8; }
  i64(v: number | bigint): void { this.ensure(8); this.view.setBigInt64(this.n, BigInt(v), true); this.n += 8; }
  bytes(b: Uint8Array): void { this.ensure(b.length); this.buf.set(b, this.n); this.n += b.length; }
  str(s: string): void {
    const b = this.utf8.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number): void {
    const rem = this.n % alignment;
    if (rem) {
      this.ensure(alignment - rem);
      this.buf.fill(0, this.n, this.n + alignment - rem);
      this.n += alignment - rem;
    }
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

function checkNumber(key: string, type: GgufType, v: unknown): void {
  const ranges: Partial<Record<GgufType, [number, number]>> = {
    [GgufType.UINT8]: [0, 255], [GgufType.INT8]: [-128, 127], [GgufType.UINT16]: [0, 65535], [GgufType.INT16]: [-32768, 32767],
    [GgufType.UINT32]: [0, 0xffffffff], [GgufType.INT32]: [-0x80000000, 0x7fffffff],
  };
  const r = ranges[type];
  if (r && (typeof v !== "number" || !Number.isInteger(v) || v < r[0] || v > r[1])) {
    throw new RangeError(`GGUF ${key}: ${JSON.stringify(v)} is not a valid ${GgufType[type]}`);
  }
}

function writeScalar(w: Writer, key: string, type: GgufScalarType, v: number | bigint | boolean | string): void {
  if (type === GgufType.STRING) {
    if (typeof v !== "string") throw new TypeError(`GGUF ${key}: expected a string, got ${typeof v}`);
    w.str(v);
    return;
  }
  if (type === GgufType.BOOL) {
    if (typeof v !== "boolean") throw new TypeError(`GGUF ${key}: expected a boolean, got ${typeof v}`);
    w.u8(v ? 1 : 0);
    return;
  }
  checkNumber(key, type, v);
  const n = v as number;
  switch (type) {
    case GgufType.UINT8: w.u8(n); break;
    case GgufType.INT8: w.i8(n); break;
    case GgufType.UINT16: w.u16(n); break;
    case GgufType.INT16: w.i16(n); break;
    case GgufType.UINT32: w.u32(n); break;
    case GgufType.INT32: w.i32(n); break;
    case GgufType.FLOAT32: w.f32(n); break;
    case GgufType.FLOAT64: w.f64(n); break;
    case GgufType.UINT64: w.u64(v as number | bigint); break;
    case GgufType.INT64: w.i64(v as number | bigint); break;
  }
}

function tensorBytes(t: GgufTensor): Uint8Array {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new RangeError(`GGUF tensor ${t.name}: dims ${t.dims.join("×")} need ${count} values, got ${t.data.length}`);
  }
  if (t.type === GgmlType.F32) return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  if (t.type === GgmlType.F16) {
    const h = new Uint16Array(count);
    for (let i = 0; i < count; i++) h[i] = f32ToF16(t.data[i]);
    return new Uint8Array(h.buffer);
  }
  if (t.type === GgmlType.Q8_0) {
    ggmlTensorBytes(t.type, t.dims);
    return quantizeQ8_0(t.data);
  }
  throw new RangeError(`GGUF tensor ${t.name}: unsupported type ${t.type}`);
}

/** The bytes of a GGUF file holding `metadata` (in the order given) and `tensors`. */
export function encodeGguf(metadata: readonly [string, GgufValue][], tensors: readonly GgufTensor[] = []): Uint8Array {
  const keys = new Set<string>();
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  for (const [k, v] of metadata) {
    if (keys.has(k)) throw new Error(`GGUF metadata key ${k} is given twice`);
    keys.add(k);
    if (k === "general.alignment") {
      if (v.type !== GgufType.UINT32 || typeof v.value !== "number" || v.value <= 0 || v.value % 8 !== 0) {
        throw new RangeError("general.alignment must be a u32 multiple of 8");
      }
      alignment = v.value;
    }
  }
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new Error(`GGUF tensor ${t.name} is given twice`);
    names.add(t.name);
  }
  const w = new Writer();
  w.u32(GGUF_MAGIC);
  w.u32(GGUF_VERSION);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const [k, v] of metadata) {
    w.str(k);
    w.u32(v.type);
    if (v.type === GgufType.ARRAY) {
      w.u32(v.itemType);
      w.u64(v.values.length);
      for (const x of v.values) writeScalar(w, k, v.itemType, x);
    } else writeScalar(w, k, v.type, v.value);
  }
  const datas = tensors.map(tensorBytes);
  let offset = 0;
  tensors.forEach((t, i) => {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type);
    w.u64(offset);
    offset += datas[i].length;
    offset = Math.ceil(offset / alignment) * alignment;
  });
  w.pad(alignment);
  datas.forEach((d) => {
    w.bytes(d);
    w.pad(alignment);
  });
  return w.result();
}

/** Writes a GGUF file atomically (see encodeGguf). */
export function writeGguf(path: string, metadata: readonly [string, GgufValue][], tensors: readonly GgufTensor[] = []): void {
  writeFileAtomic(path, encodeGguf(metadata, tensors));
}
