/** The GGUF writer: layout read back by our reader, alignment, F32/F16 data, metadata types, bad input. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeGguf, f32ToF16, gguf, GgmlType, GgufType, GGUF_MAGIC } from "../../src/export/gguf.js";
import { readGguf } from "../../src/export/gguf-read.js";

test("header, metadata of every type, and tensor data round-trip", () => {
  const w = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
  const h = Float32Array.from([1, -2, 0.5, 65504]);
  const bytes = encodeGguf([
    ["general.architecture", gguf.str("llama")],
    ["general.name", gguf.str("tëst ✓")],
    ["llama.block_count", gguf.u32(2)],
    ["x.i32", gguf.i32(-7)],
    ["x.f32", gguf.f32(0.25)],
    ["x.bool", gguf.bool(true)],
    ["x.u64", gguf.u64(2n ** 40n)],
    ["x.u8", { type: GgufType.UINT8, value: 200 }],
    ["x.f64", { type: GgufType.FLOAT64, value: Math.PI }],
    ["tokenizer.ggml.tokens", gguf.strings(["a", "Ġb", "<|endoftext|>"])],
    ["tokenizer.ggml.token_type", gguf.i32s([1, 1, 3])],
    ["x.f32s", gguf.f32s([1.5, -2])],
  ], [
    { name: "w", dims: [3, 2], type: GgmlType.F32, data: w },
    { name: "h", dims: [4], type: GgmlType.F16, data: h },
  ]);
  const view = new DataView(bytes.buffer);
  assert.equal(view.getUint32(0, true), GGUF_MAGIC);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), "GGUF");
  const f = readGguf(bytes);
  assert.equal(f.version, 3);
  assert.equal(f.metadata.get("general.name"), "tëst ✓");
  assert.equal(f.metadata.get("llama.block_count"), 2);
  assert.equal(f.metadata.get("x.i32"), -7);
  assert.equal(f.metadata.get("x.f32"), 0.25);
  assert.equal(f.metadata.get("x.bool"), true);
  assert.equal(f.metadata.get("x.u64"), 2n ** 40n);
  assert.equal(f.metadata.get("x.u8"), 200);
  assert.equal(f.metadata.get("x.f64"), Math.PI);
  assert.deepEqual(f.metadata.get("tokenizer.ggml.tokens"), ["a", "Ġb", "<|endoftext|>"]);
  assert.deepEqual(f.metadata.get("tokenizer.ggml.token_type"), [1, 1, 3]);
  assert.deepEqual(f.metadata.get("x.f32s"), [1.5, -2]);
  assert.deepEqual([...f.metadata.keys()][0], "general.architecture", "order kept");
  assert.equal(f.dataOffset % 32, 0);
  assert.deepEqual(f.tensors.map((t) => [t.name, t.dims, t.type, t.offset % 32]), [["w", [3, 2], 0, 0], ["h", [4], 1, 0]]);
  const wBytes = bytes.slice(f.dataOffset + f.tensors[0].offset, f.dataOffset + f.tensors[0].offset + 24);
  assert.deepEqual([...new Float32Array(wBytes.buffer)], [...w]);
  const hBytes = bytes.slice(f.dataOffset + f.tensors[1].offset, f.dataOffset + f.tensors[1].offset + 8);
  assert.deepEqual([...new Uint16Array(hBytes.buffer)], [0x3c00, 0xc000, 0x3800, 0x7bff]);
  assert.equal(bytes.length % 32, 0);
});

test("metadata only (a vocabulary file) and a custom alignment", () => {
  const f = readGguf(encodeGguf([["general.architecture", gguf.str("llama")]]));
  assert.equal(f.tensors.length, 0);
  const g = encodeGguf([["general.alignment", gguf.u32(64)]], [
    { name: "a", dims: [3], type: GgmlType.F32, data: new Float32Array(3) },
    { name: "b", dims: [1], type: GgmlType.F32, data: new Float32Array(1) },
  ]);
  const r = readGguf(g);
  assert.equal(r.alignment, 64);
  assert.equal(r.dataOffset % 64, 0);
  assert.equal(r.tensors[1].offset, 64);
});

test("float32 → float16 rounds to nearest even, with subnormals, infinities and NaN", () => {
  assert.equal(f32ToF16(0), 0);
  assert.equal(f32ToF16(-0), 0x8000);
  assert.equal(f32ToF16(1), 0x3c00);
  assert.equal(f32ToF16(0.1), 0x2e66);
  assert.equal(f32ToF16(65504), 0x7bff);
  assert.equal(f32ToF16(65520), 0x7c00); // rounds up to infinity
  assert.equal(f32ToF16(1e6), 0x7c00);
  assert.equal(f32ToF16(-Infinity), 0xfc00);
  assert.equal(f32ToF16(NaN) & 0x7c00, 0x7c00);
  assert.ok((f32ToF16(NaN) & 0x3ff) !== 0);
  assert.equal(f32ToF16(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(f32ToF16(2 ** -25), 0); // halfway to 0: ties to even
  assert.equal(f32ToF16(1.5 * 2 ** -24), 0x0002); // halfway between 1 and 2 ulps: to even (2)
  assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00); // halfway: ties to even (down)
  assert.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02); // halfway: ties to even (up)
});

test("bad input is refused with the key or tensor named", () => {
  assert.throws(() => encodeGguf([["a", gguf.u32(1)], ["a", gguf.u32(2)]]), /a is given twice/);
  assert.throws(() => encodeGguf([["n", gguf.u32(-1)]]), /n: -1 is not a valid UINT32/);
  assert.throws(() => encodeGguf([["s", { type: GgufType.STRING, value: 3 }]]), /s: expected a string/);
  assert.throws(() => encodeGguf([], [{ name: "t", dims: [2, 2], type: GgmlType.F32, data: new Float32Array(3) }]), /t: dims 2×2 need 4 values/);
  assert.throws(() => encodeGguf([["general.alignment", gguf.u32(12)]]), /alignment/);
  assert.throws(() => readGguf(new Uint8Array(8)), /bad magic/);
  const ok = encodeGguf([["k", gguf.str("value")]]);
  assert.throws(() => readGguf(ok.subarray(0, 30)), /truncated/);
});

test("fuzz: truncated and bit-flipped GGUF files give a GgufFormatError or a valid parse, never another failure", async () => {
  const { ByteTokenizer } = await import("../../src/tokenizer/bytes.js");
  const { ggufModel } = await import("../../src/export/gguf-model.js");
  const { resolveModelConfig } = await import("../../src/model/config.js");
  const { Model } = await import("../../src/model/model.js");
  const { referenceKernels } = await import("../../src/kernels/reference.js");
  const { GgufFormatError } = await import("../../src/export/gguf-read.js");
  const m = new Model(resolveModelConfig({ num_layers: 1, d_model: 32, ffn_size: 64, num_heads: 2, vocab_size: 260, max_seq_len: 16 }),
    referenceKernels("f32"), { training: false });
  m.init(1);
  const e = ggufModel(m.config, m.layout, m.params, new ByteTokenizer(), { fileType: "q8_0" });
  const good = encodeGguf(e.metadata, e.tensors);
  let u = 12345;
  const rand = (n: number) => {
    u = (Math.imul(u, 1103515245) + 12345) >>> 0;
    return u % n;
  };
  const check = (bytes: Uint8Array, what: string) => {
    try {
      readGguf(bytes);
    } catch (err) {
      assert.ok(err instanceof GgufFormatError, `${what}: ${(err as Error).name}: ${(err as Error).message}`);
    }
  };
  for (let i = 0; i < 300; i++) check(good.subarray(0, rand(good.length)), `truncated`);
  // Bit flips, most of them in the header where lengths and counts live.
  const headerEnd = readGguf(good).dataOffset;
  for (let i = 0; i < 600; i++) {
    const b = Uint8Array.from(good);
    const at = i % 3 === 0 ? rand(b.length) : rand(headerEnd);
    b[at] ^= 1 << rand(8);
    check(b, `bit flip at byte ${at}`);
  }
});
