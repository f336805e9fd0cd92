import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import {
  closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, openSafetensors, SafetensorsError, writeSafetensors,
  type TensorToWrite,
} from "../../src/util/safetensors.js";

const dir = mkdtempSync(join(tmpdir(), "safetensors-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const fresh = (name = "t.safetensors") => join(dir, `${counter++}-${name}`);

/** Builds a file by hand: prefix, header text (unpadded unless the caller pads), data bytes. */
function handMade(header: string, data: number[] | Uint8Array = []): string {
  const h = Buffer.from(header, "utf8");
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(h.length));
  const p = fresh();
  writeFileSync(p, Buffer.concat([prefix, h, Buffer.from(data)]));
  return p;
}

function f32bits(x: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x, true);
  return dv.getUint32(0, true);
}
function bitsF32(b: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, b >>> 0, true);
  return dv.getFloat32(0, true);
}

function expectError(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SafetensorsError, `expected SafetensorsError, got ${String(e)}`);
    for (const p of parts) {
      if (typeof p === "string") assert.ok(e.message.includes(p), `message "${e.message}" lacks "${p}"`);
      else assert.match(e.message, p);
    }
    return true;
  });
}

describe("format conformance with hand-built bytes", () => {
  test("reads an unpadded header, metadata, F32 and I64 tensors written byte by byte", () => {
    const header = '{"__metadata__":{"format":"pt","note":"hi"},' +
      '"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"ids":{"dtype":"I64","shape":[1,1],"data_offsets":[8,16]}}';
    const data = [
      0x00, 0x00, 0x80, 0x3f, // 1.0f
      0x00, 0x00, 0x20, 0xc0, // -2.5f
      0x07, 0, 0, 0, 0, 0, 0, 0, // int64 7
    ];
    const p = handMade(header, data);
    const r = openSafetensors(p);
    try {
      assert.deepEqual(r.metadata, { format: "pt", note: "hi" });
      assert.deepEqual(r.names().sort(), ["ids", "w"]);
      assert.deepEqual([...r.readF32("w")], [1, -2.5]);
      assert.deepEqual([...r.readI32("ids")], [7]);
      assert.deepEqual([...r.readF32("ids")], [7]);
      assert.deepEqual(r.info("ids"), { dtype: "I64", shape: [1, 1], numel: 1, byteLength: 8, dataOffsets: [8, 16] });
      assert.deepEqual([...r.readRaw("w")], data.slice(0, 8));
    } finally {
      r.close();
    }
  });

  test("reads F16 and BF16 bytes by hand, and tolerates trailing padding spaces and a gap", () => {
    // F16 0x3c00 = 1, 0xc000 = -2; BF16 0x3f80 = 1, 0x4049 = 3.140625. A 2-byte gap sits between them.
    const header = '{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},' +
      '"b":{"dtype":"BF16","shape":[2],"data_offsets":[6,10]}}     ';
    const p = handMade(header, [0x00, 0x3c, 0x00, 0xc0, 0xee, 0xee, 0x80, 0x3f, 0x49, 0x40]);
    const r = openSafetensors(p);
    assert.deepEqual([...r.readF32("h")], [1, -2]);
    assert.deepEqual([...r.readF32("b")], [1, 3.140625]);
    r.close();
  });

  test("our writer's bytes match the layout by hand", () => {
    const p = fresh();
    writeSafetensors(p, [{ name: "x", dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 3]) }], { a: "b" });
    const bytes = readFileSync(p);
    const n = Number(bytes.readBigUInt64LE(0));
    assert.equal(n % 8, 0, "header length is a multiple of 8");
    const text = bytes.subarray(8, 8 + n).toString("utf8");
    assert.match(text, /^\{.*\} *$/);
    assert.deepEqual(JSON.parse(text), {
      __metadata__: { a: "b" },
      x: { dtype: "U8", shape: [3], data_offsets: [0, 3] },
    });
    assert.deepEqual([...bytes.subarray(8 + n)], [1, 2, 3]);
    assert.equal(bytes.length, 8 + n + 3);
  });
});

describe("round trips", () => {
  test("every dtype round-trips its raw bytes, shapes, order and metadata", () => {
    const tensors: TensorToWrite[] = [
      { name: "f64", dtype: "F64", shape: [2, 2], data: new Float64Array([1.5, -2, 1e300, Math.PI]) },
      { name: "f32", dtype: "F32", shape: [3], data: new Float32Array([0.1, -0, Infinity]) },
      { name: "f16", dtype: "F16", shape: [2], data: new Uint16Array([0x3c00, 0x7bff]) },
      { name: "bf16", dtype: "BF16", shape: [1, 2], data: new Uint16Array([0x3f80, 0xc2f7]) },
      { name: "i64", dtype: "I64", shape: [2], data: new BigInt64Array([-5n, 1n << 40n]) },
      { name: "i32", dtype: "I32", shape: [2], data: new Int32Array([-2147483648, 2147483647]) },
      { name: "i16", dtype: "I16", shape: [2], data: new Int16Array([-32768, 7]) },
      { name: "i8", dtype: "I8", shape: [3], data: new Int8Array([-128, 0, 127]) },
      { name: "u8", dtype: "U8", shape: [2], data: new Uint8Array([0, 255]) },
      { name: "u16", dtype: "U16", shape: [1], data: new Uint16Array([65535]) },
      { name: "u32", dtype: "U32", shape: [1], data: new Uint32Array([4294967295]) },
      { name: "u64", dtype: "U64", shape: [1], data: new BigUint64Array([12345678901234n]) },
      { name: "bool", dtype: "BOOL", shape: [3], data: new Uint8Array([1, 0, 1]) },
      { name: "scalar", dtype: "F32", shape: [], data: new Float32Array([42]) },
      { name: "empty", dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
      { name: "10", dtype: "U8", shape: [1], data: new Uint8Array([9]) }, // integer-like names keep their place
      { name: "2", dtype: "U8", shape: [1], data: new Uint8Array([8]) },
    ];
    const p = fresh();
    writeSafetensors(p, tensors, { format: "pt", step: "1200" });
    const r = openSafetensors(p);
    try {
      assert.deepEqual(r.metadata, { format: "pt", step: "1200" });
      assert.deepEqual(r.names().filter((n) => n !== "empty"), tensors.map((t) => t.name).filter((n) => n !== "empty"));
      for (const t of tensors) {
        const info = r.info(t.name);
        assert.equal(info.dtype, t.dtype);
        assert.deepEqual(info.shape, t.shape);
        assert.equal(info.byteLength, t.data.byteLength);
        assert.deepEqual(r.readRaw(t.name), new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      }
      assert.deepEqual([...r.readF32("f64")], [1.5, -2, Infinity, Math.fround(Math.PI)]);
      assert.ok(Object.is(r.readF32("f32")[1], -0));
      assert.deepEqual([...r.readF32("f16")], [1, 65504]);
      assert.deepEqual([...r.readF32("bf16")], [1, -123.5]);
      assert.deepEqual([...r.readF32("i64")], [-5, 2 ** 40]);
      assert.deepEqual([...r.readF32("i32")], [-2147483648, 2147483648]); // float32 rounding of 2^31−1
      assert.deepEqual([...r.readF32("i16")], [-32768, 7]);
      assert.deepEqual([...r.readF32("i8")], [-128, 0, 127]);
      assert.deepEqual([...r.readF32("u8")], [0, 255]);
      assert.deepEqual([...r.readF32("u16")], [65535]);
      assert.deepEqual([...r.readF32("u32")], [4294967296]);
      assert.deepEqual([...r.readF32("u64")], [Math.fround(12345678901234)]);
      assert.deepEqual([...r.readF32("bool")], [1, 0, 1]);
      assert.deepEqual([...r.readF32("scalar")], [42]);
      assert.equal(r.readF32("empty").length, 0);
      assert.deepEqual([...r.readI32("i8")], [-128, 0, 127]);
      assert.deepEqual([...r.readI32("u16")], [65535]);
      assert.deepEqual([...r.readI32("i32")], [-2147483648, 2147483647]);
      expectError(() => r.readI32("i64"), "element 1 is 1099511627776, outside the int32 range");
    } finally {
      r.close();
    }
  });

  test("writes tensors from views into larger buffers (non-zero byteOffset)", () => {
    const arena = new Float32Array([9, 9, 1, 2, 3, 9]);
    const p = fresh();
    writeSafetensors(p, [{ name: "v", dtype: "F32", shape: [3], data: arena.subarray(2, 5) }]);
    const r = openSafetensors(p);
    assert.deepEqual([...r.readF32("v")], [1, 2, 3]);
    r.close();
  });

  test("readF32 writes into a caller's view and checks its length", () => {
    const p = fresh();
    writeSafetensors(p, [
      { name: "a", dtype: "F32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      { name: "b", dtype: "BF16", shape: [2], data: f32ToBf16(new Float32Array([5, 6])) },
    ]);
    const r = openSafetensors(p);
    const arena = new Float32Array(8).fill(-1);
    assert.equal(r.readF32("a", arena.subarray(1, 5)).length, 4);
    r.readF32("b", arena.subarray(5, 7));
    assert.deepEqual([...arena], [-1, 1, 2, 3, 4, 5, 6, -1]);
    expectError(() => r.readF32("a", new Float32Array(3)), "destination has 3 elements", "tensor has 4");
    r.close();
  });

  test("conversion of a tensor larger than one conversion slice", () => {
    const n = (1 << 20) + 12345;
    const src = new Float32Array(n);
    const i64 = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      src[i] = (i % 256) - 128; // integers of magnitude ≤ 256 are exact in bf16
      i64[i] = BigInt(i % 100000);
    }
    const p = fresh();
    writeSafetensors(p, [
      { name: "b", dtype: "BF16", shape: [n], data: f32ToBf16(src) },
      { name: "i", dtype: "I64", shape: [n], data: i64 },
    ]);
    const r = openSafetensors(p);
    const b = r.readF32("b");
    const ids = r.readI32("i");
    r.close();
    let bad = -1;
    for (let i = 0; i < n && bad < 0; i++) if (b[i] !== src[i] || ids[i] !== i % 100000) bad = i;
    assert.equal(bad, -1, `first mismatch at element ${bad}`);
  });

  test("writing replaces an existing file atomically and leaves no temporary file", () => {
    const sub = mkdtempSync(join(dir, "atomic-"));
    const p = join(sub, "m.safetensors");
    writeSafetensors(p, [{ name: "a", dtype: "U8", shape: [1], data: new Uint8Array([1]) }]);
    writeSafetensors(p, [{ name: "b", dtype: "U8", shape: [1], data: new Uint8Array([2]) }]);
    assert.deepEqual(readdirSync(sub), ["m.safetensors"]);
    const r = openSafetensors(p);
    assert.deepEqual(r.names(), ["b"]);
    r.close();
    // A rejected write leaves the previous file in place.
    assert.throws(() => writeSafetensors(p, [{ name: "c", dtype: "F32", shape: [2], data: new Float32Array(1) }]));
    assert.deepEqual(readdirSync(sub), ["m.safetensors"]);
    const r2 = openSafetensors(p);
    assert.deepEqual(r2.names(), ["b"]);
    r2.close();
  });

  test("no tensors and no metadata is a valid file", () => {
    const p = fresh();
    writeSafetensors(p, []);
    const r = openSafetensors(p);
    assert.deepEqual(r.names(), []);
    assert.deepEqual(r.metadata, {});
    r.close();
  });
});

describe("reader errors", () => {
  test("a file shorter than 8 bytes", () => {
    const p = fresh();
    writeFileSync(p, Buffer.from([1, 2, 3]));
    expectError(() => openSafetensors(p), p, "3 bytes, shorter than the 8-byte header length");
  });

  test("a missing file", () => {
    expectError(() => openSafetensors(join(dir, "nope.safetensors")), "cannot open");
  });

  test("a header length larger than the file", () => {
    const p = fresh();
    const b = Buffer.alloc(20);
    b.writeBigUInt64LE(1000n);
    writeFileSync(p, b);
    expectError(() => openSafetensors(p), "header length 1000 is larger than the file (20 bytes");
    const q = fresh();
    const c = Buffer.alloc(8, 0xff); // 2^64 − 1
    writeFileSync(q, c);
    expectError(() => openSafetensors(q), "larger than the file");
  });

  test("a header length over the 100 MB limit is refused before allocating it", () => {
    const p = fresh();
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(200_000_000n);
    // A sparse 300 MB file: the length fits in the file but is still absurd for a header.
    const fd = openSync(p, "w");
    writeSync(fd, b, 0, 8, 0);
    ftruncateSync(fd, 300_000_000);
    closeSync(fd);
    expectError(() => openSafetensors(p), "header length 200000000 exceeds the 100000000-byte limit");
  });

  test("a header that is not UTF-8, not JSON, or not an object", () => {
    const bad = fresh();
    const h = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(4n);
    writeFileSync(bad, Buffer.concat([prefix, h]));
    expectError(() => openSafetensors(bad), "not valid UTF-8");
    expectError(() => openSafetensors(handMade('{"a": ')), "not valid JSON");
    expectError(() => openSafetensors(handMade("[1,2]")), "not an object");
    expectError(() => openSafetensors(handMade('{"__metadata__":{"a":1}}')), '"__metadata__.a" must be a string');
    expectError(() => openSafetensors(handMade('{"t":5}')), 'tensor "t"', "not an object");
  });

  test("an unknown dtype names the tensor and lists the supported ones", () => {
    const p = handMade('{"t":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', [0]);
    expectError(() => openSafetensors(p), 'tensor "t": unknown dtype "F8_E4M3"', "BF16");
  });

  test("shape and dtype that do not match data_offsets", () => {
    const p = handMade('{"t":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}', new Uint8Array(24));
    expectError(() => openSafetensors(p), "shape [2,3] of F32 needs 24 bytes but data_offsets [0, 20] hold 20");
    const q = handMade('{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', new Uint8Array(4));
    expectError(() => openSafetensors(q), "shape must be an array of non-negative integers");
    const r = handMade('{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', new Uint8Array(4));
    expectError(() => openSafetensors(r), "end before they begin");
    const s = handMade('{"t":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', new Uint8Array(4));
    expectError(() => openSafetensors(s), "data_offsets must be [begin, end]");
  });

  test("a truncated file says how long it should be", () => {
    const p = fresh();
    writeSafetensors(p, [
      { name: "a", dtype: "F32", shape: [4], data: new Float32Array(4) },
      { name: "b", dtype: "F32", shape: [4], data: new Float32Array(4) },
    ]);
    const full = readFileSync(p);
    const cut = fresh();
    writeFileSync(cut, full.subarray(0, full.length - 5));
    expectError(() => openSafetensors(cut), `truncated: expected at least ${full.length} bytes, file has ${full.length - 5}`);
  });

  test("overlapping tensors", () => {
    const p = handMade('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Uint8Array(8));
    expectError(() => openSafetensors(p), '"a" [0,8] and "b" [4,8] overlap');
    // Empty tensors sit anywhere without overlapping.
    const q = handMade('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}', new Uint8Array(8));
    openSafetensors(q).close();
  });

  test("a missing tensor name lists what the file has", () => {
    const p = fresh();
    writeSafetensors(p, [{ name: "present", dtype: "U8", shape: [1], data: new Uint8Array(1) }]);
    const r = openSafetensors(p);
    expectError(() => r.readF32("absent"), 'no tensor named "absent"', "the file has: present");
    expectError(() => r.info("absent"), "absent");
    assert.equal(r.has("present"), true);
    assert.equal(r.has("absent"), false);
    r.close();
    expectError(() => r.readRaw("present"), "closed");
    r.close(); // closing twice is harmless
  });

  test("readI32 refuses floats and out-of-range 64-bit values", () => {
    const p = fresh();
    writeSafetensors(p, [
      { name: "f", dtype: "F32", shape: [1], data: new Float32Array([1]) },
      { name: "big", dtype: "I64", shape: [3], data: new BigInt64Array([0n, 1n, 2147483648n]) },
      { name: "neg", dtype: "I64", shape: [1], data: new BigInt64Array([-2147483649n]) },
      { name: "u32", dtype: "U32", shape: [1], data: new Uint32Array([4294967295]) },
    ]);
    const r = openSafetensors(p);
    expectError(() => r.readI32("f"), "is F32, not an integer type");
    expectError(() => r.readI32("big"), "element 2 is 2147483648, outside the int32 range");
    expectError(() => r.readI32("neg"), "outside the int32 range");
    expectError(() => r.readI32("u32"), "outside the int32 range");
    r.close();
  });
});

describe("writer errors", () => {
  const u8 = new Uint8Array(4);
  test("data length must match shape × dtype", () => {
    expectError(() => writeSafetensors(fresh(), [{ name: "w", dtype: "F32", shape: [2, 2], data: new Float32Array(3) }]),
      'tensor "w": shape [2,2] of F32 needs 16 bytes but data has 12');
    // A Float32Array passed as F16 is the classic mistake.
    expectError(() => writeSafetensors(fresh(), [{ name: "h", dtype: "F16", shape: [2], data: new Float32Array(2) }]),
      "needs 4 bytes but data has 8");
  });
  test("names, dtypes, shapes and metadata are checked", () => {
    expectError(() => writeSafetensors(fresh(), [
      { name: "a", dtype: "U8", shape: [4], data: u8 }, { name: "a", dtype: "U8", shape: [4], data: u8 },
    ]), "given twice");
    expectError(() => writeSafetensors(fresh(), [{ name: "", dtype: "U8", shape: [4], data: u8 }]), "bad tensor name");
    expectError(() => writeSafetensors(fresh(), [{ name: "__metadata__", dtype: "U8", shape: [4], data: u8 }]),
      "bad tensor name");
    expectError(() => writeSafetensors(fresh(), [{ name: "a", dtype: "Q4" as "U8", shape: [4], data: u8 }]),
      'unknown dtype "Q4"');
    expectError(() => writeSafetensors(fresh(), [{ name: "a", dtype: "U8", shape: [2.5], data: u8 }]),
      "non-negative integers");
    expectError(() => writeSafetensors(fresh(), [], { step: 5 as unknown as string }), 'metadata "step" must be a string');
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes(".tmp-")), []);
  });
});

describe("float conversions", () => {
  const bf = (x: number) => f32ToBf16(new Float32Array([x]))[0];
  const bfBits = (b: number) => f32ToBf16(new Float32Array([bitsF32(b)]))[0];
  const h = (x: number) => f32ToF16(new Float32Array([x]))[0];
  const hf = (bits: number) => f16ToF32(new Uint16Array([bits]))[0];

  test("f32 → bf16 rounds to nearest even and keeps NaN", () => {
    assert.equal(bf(1), 0x3f80);
    assert.equal(bf(-2), 0xc000);
    assert.equal(bfBits(0x3f808000), 0x3f80); // exact tie, lower is even
    assert.equal(bfBits(0x3f818000), 0x3f82); // exact tie, upper is even
    assert.equal(bfBits(0x3f808001), 0x3f81); // just above the tie
    assert.equal(bfBits(0x3f807fff), 0x3f80); // just below
    assert.equal(bfBits(0x7f7fffff), 0x7f80); // the largest float rounds to Inf
    assert.equal(bf(Infinity), 0x7f80);
    assert.equal(bf(-Infinity), 0xff80);
    assert.equal(bf(-0), 0x8000);
    assert.equal(bfBits(0x00000001), 0x0000); // tiny subnormal → +0
    const nan = bfBits(0x7f800001); // a NaN whose payload would vanish under plain truncation
    assert.ok(Number.isNaN(bf16ToF32(new Uint16Array([nan]))[0]));
    assert.equal(nan & 0x8000, 0);
    assert.equal(bfBits(0xffc00000) & 0x8000, 0x8000, "the sign of a NaN is kept");
  });

  test("bf16 → f32 → bf16 is the identity on every bit pattern (NaNs stay NaN)", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ToBf16(bf16ToF32(all));
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7f80) === 0x7f80 && (i & 0x7f) !== 0;
      if (isNaN) assert.ok((back[i] & 0x7f80) === 0x7f80 && (back[i] & 0x7f) !== 0);
      else if (back[i] !== i) assert.fail(`bf16 ${i.toString(16)} came back as ${back[i].toString(16)}`);
    }
  });

  test("f32 → f16 edge cases: ties, subnormals, overflow, NaN", () => {
    assert.equal(h(1), 0x3c00);
    assert.equal(h(-2), 0xc000);
    assert.equal(h(0.1), 0x2e66);
    assert.equal(h(65504), 0x7bff);
    assert.equal(h(65519), 0x7bff); // below the midpoint to 65536
    assert.equal(h(65520), 0x7c00); // the midpoint ties to even: Inf
    assert.equal(h(1e6), 0x7c00);
    assert.equal(h(-1e6), 0xfc00);
    assert.equal(h(Infinity), 0x7c00);
    assert.equal(h(-0), 0x8000);
    assert.equal(h(2 ** -24), 0x0001); // the smallest subnormal
    assert.equal(h(2 ** -25), 0x0000); // half of it ties to even: 0
    assert.equal(h(Math.fround(2 ** -25 * 1.0001)), 0x0001); // just above the tie
    assert.equal(h(3 * 2 ** -25), 0x0002); // 1.5 × smallest: tie between 1 and 2 → 2
    assert.equal(h(1023 * 2 ** -24), 0x03ff); // the largest subnormal
    assert.equal(h(1023.5 * 2 ** -24), 0x0400); // tie → even: the smallest normal
    assert.equal(h(2 ** -14), 0x0400);
    assert.equal(h(2 ** -30), 0x0000);
    assert.equal(h(-(2 ** -30)), 0x8000);
    assert.equal(h(1 + 2 ** -11), 0x3c00); // tie → even
    assert.equal(h(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
    const nan = h(NaN);
    assert.equal(nan & 0x7c00, 0x7c00);
    assert.notEqual(nan & 0x3ff, 0);
    assert.ok(Number.isNaN(hf(f32ToF16(new Float32Array([bitsF32(0x7f800001)]))[0])));
  });

  test("f16 → f32 decodes subnormals, Inf and NaN", () => {
    assert.equal(hf(0x0001), 2 ** -24);
    assert.equal(hf(0x03ff), 1023 * 2 ** -24);
    assert.equal(hf(0x0400), 2 ** -14);
    assert.equal(hf(0x7bff), 65504);
    assert.equal(hf(0x7c00), Infinity);
    assert.equal(hf(0xfc00), -Infinity);
    assert.ok(Object.is(hf(0x8000), -0));
    assert.ok(Number.isNaN(hf(0x7e00)));
    assert.equal(hf(0xc000), -2);
  });

  test("f16 → f32 → f16 is the identity on every non-NaN bit pattern", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ToF16(f16ToF32(all));
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (isNaN) assert.ok(Number.isNaN(hf(back[i])));
      else if (back[i] !== i) assert.fail(`f16 ${i.toString(16)} came back as ${back[i].toString(16)}`);
    }
  });

  test("f32 → f16 picks the nearest half, ties to even (property check on random floats)", () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let k = 0; k < 20000; k++) {
      // Random floats spread over the half range, including subnormals and the overflow edge.
      const x = Math.fround((rand() < 0.5 ? -1 : 1) * 2 ** (rand() * 42 - 26) * (1 + rand()));
      const got = h(x);
      const v = hf(got);
      if (!Number.isFinite(v)) {
        assert.ok(Math.abs(x) >= 65520, `${x} → Inf`);
        continue;
      }
      const err = Math.abs(x - v);
      for (const nb of [got - 1, got + 1]) {
        if ((nb & 0x7fff) > 0x7c00 || ((nb ^ got) & 0x8000) !== 0) continue;
        const w = hf(nb);
        if (!Number.isFinite(w)) continue;
        const e2 = Math.abs(x - w);
        assert.ok(err < e2 || (err === e2 && (got & 1) === 0), `${x}: got ${v}, neighbour ${w} is at least as close`);
      }
    }
  });

  test("conversions check their output length and work on views", () => {
    assert.throws(() => f32ToF16(new Float32Array(2), new Uint16Array(3)), RangeError);
    assert.throws(() => bf16ToF32(new Uint16Array(2), new Float32Array(1)), RangeError);
    const buf = new Float32Array([7, 1, 2, 7]);
    assert.deepEqual([...bf16ToF32(f32ToBf16(buf.subarray(1, 3)))], [1, 2]);
    assert.equal(f32bits(bf16ToF32(new Uint16Array([0x3f80]))[0]), 0x3f800000);
  });
});
