/**
 * Reads a GGUF file's header, metadata and tensor table (and the tensors' raw bytes), to check what the
 * writer (gguf.ts) produced and to inspect files from other tools. Values come back as JavaScript values:
 * 64-bit integers as bigint, arrays as arrays.
 */
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufType } from "./gguf.js";

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
    const s = utf8.decode(bytes.subarray(p, p + n));
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
  return { version, metadata, tensors, dataOffset, alignment };
}
