/**
 * Reads a GGUF file's header, metadata and tensor table (and the tensors' raw bytes), to check what the
 * writer (gguf.ts) produced and to inspect files from other tools. Values come back as JavaScript values:
 * 64-bit integers as bigint, arrays as arrays.
 */
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgmlType, GgufType, ggmlTensorBytes, Q8_0_BLOCK } from "./gguf.js";
import { f16ToF32 } from "../util/safetensors.js";

export interface GgufTensorInfo {
  name: string;
  dims: number[];
  type: number;
  /** offset from the start of the data section */
  offset: number;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, unknown>;
  tensors: GgufTensorInfo[];
  /** file offset of the data section */
  dataOffset: number;
  alignment: number;
}

export class GgufFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GgufFormatError";
  }
}

export function readGguf(bytes: Uint8Array): GgufFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  let p = 0;
  const need = (n: number) => {
    if (p + n > bytes.length) throw new GgufFormatError(`truncated at byte ${p} (wanted ${n} more)`);
  };
  const u32 = () => { need(4); const v = view.getUint32(p, true); p += 4; return v; };
  const u64 = () => { need(8); const v = view.getBigUint64(p, true); p += 8; return v; };
  const u64n = () => {
    const v = u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufFormatError(`value ${v} at byte ${p - 8} is too large`);
    return Number(v);
  };
  const str = () => {
    const n = u64n();
    need(n);
    let s: string;
    try {
      s = utf8.decode(bytes.subarray(p, p + n));
    } catch {
      throw new GgufFormatError(`the string at byte ${p} is not valid UTF-8`);
    }
    p += n;
    return s;
  };
  const scalar = (type: number): unknown => {
    switch (type) {
      case GgufType.UINT8: need(1); return view.getUint8(p++);
      case GgufType.INT8: need(1); return view.getInt8(p++);
      case GgufType.UINT16: { need(2); const v = view.getUint16(p, true); p += 2; return v; }
      case GgufType.INT16: { need(2); const v = view.getInt16(p, true); p += 2; return v; }
      case GgufType.UINT32: return u32();
      case GgufType.INT32: { need(4); const v = view.getInt32(p, true); p += 4; return v; }
      case GgufType.FLOAT32: { need(4); const v = view.getFloat32(p, true); p += 4; return v; }
      case GgufType.BOOL: need(1); return view.getUint8(p++) !== 0;
      case GgufType.STRING: return str();
      case GgufType.UINT64: return u64();
      case GgufType.INT64: { need(8); const v = view.getBigInt64(p, true); p += 8; return v; }
      case GgufType.FLOAT64: { need(8); const v = view.getFloat64(p, true); p += 8; return v; }
      default: throw new GgufFormatError(`unknown value type ${type} at byte ${p - 4}`);
    }
  };
  if (u32() !== GGUF_MAGIC) throw new GgufFormatError("not a GGUF file (bad magic)");
  const version = u32();
  if (version !== 2 && version !== 3) throw new GgufFormatError(`unsupported GGUF version ${version}`);
  const nTensors = u64n();
  const nKv = u64n();
  const metadata = new Map<string, unknown>();
  for (let i = 0; i < nKv; i++) {
    const key = str();
    const type = u32();
    if (type === GgufType.ARRAY) {
      const itemType = u32();
      const n = u64n();
      const values: unknown[] = [];
      for (let k = 0; k < n; k++) values.push(scalar(itemType));
      metadata.set(key, values);
    } else metadata.set(key, scalar(type));
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nd = u32();
    const dims: number[] = [];
    for (let k = 0; k < nd; k++) dims.push(u64n());
    const type = u32();
    tensors.push({ name, dims, type, offset: u64n() });
  }
  const alignment = typeof metadata.get("general.alignment") === "number" ? (metadata.get("general.alignment") as number) : GGUF_DEFAULT_ALIGNMENT;
  const dataOffset = Math.ceil(p / alignment) * alignment;
  // Every tensor must lie inside the file: a file cut short is named here, before anything reads the data.
  for (const t of tensors) {
    let size: number;
    try {
      size = ggmlTensorBytes(t.type, t.dims);
    } catch (e) {
      throw new GgufFormatError(`tensor ${t.name}: ${(e as Error).message}`);
    }
    if (dataOffset + t.offset + size > bytes.length) {
      throw new GgufFormatError(`tensor ${t.name} (${size} bytes at data offset ${t.offset}) runs past the end of the ` +
        `file (${bytes.length} bytes): the file is truncated or corrupt`);
    }
  }
  return { version, metadata, tensors, dataOffset, alignment };
}

/** A tensor's values as float32 (F16 converted, Q8_0 dequantized), row-major with ne0 innermost. */
export function ggufTensorData(bytes: Uint8Array, file: GgufFile, name: string): Float32Array {
  const t = file.tensors.find((x) => x.name === name);
  if (!t) throw new GgufFormatError(`no tensor named ${name}`);
  const count = t.dims.reduce((a, b) => a * b, 1);
  const at = bytes.byteOffset + file.dataOffset + t.offset;
  const raw = bytes.buffer.slice(at, at + ggmlTensorBytes(t.type, t.dims));
  if (t.type === GgmlType.F32) return new Float32Array(raw);
  if (t.type === GgmlType.F16) return f16ToF32(new Uint16Array(raw));
  const view = new DataView(raw);
  const out = new Float32Array(count);
  const scale = new Uint16Array(1);
  const blocks = count / Q8_0_BLOCK;
  for (let b = 0; b < blocks; b++) {
    scale[0] = view.getUint16(b * 34, true);
    const d = f16ToF32(scale)[0];
    for (let j = 0; j < Q8_0_BLOCK; j++) out[b * Q8_0_BLOCK + j] = d * view.getInt8(b * 34 + 2 + j);
  }
  return out;
}
