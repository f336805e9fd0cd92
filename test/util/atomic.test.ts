import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fsyncDir, tempPathFor, withAtomicFile, writeAll, writeFileAtomic } from "../../src/util/atomic.js";

const root = mkdtempSync(join(tmpdir(), "atomic-test-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};

test("writeFileAtomic creates and replaces files, strings as UTF-8, views by their bytes", () => {
  const d = freshDir();
  const p = join(d, "state.json");
  writeFileAtomic(p, "héllo");
  assert.equal(readFileSync(p, "utf8"), "héllo");
  const arena = new Uint8Array([9, 1, 2, 3, 9]);
  writeFileAtomic(p, arena.subarray(1, 4));
  assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
  writeFileAtomic(p, new Float32Array([1]));
  assert.deepEqual([...readFileSync(p)], [0, 0, 0x80, 0x3f]);
  writeFileAtomic(p, "");
  assert.equal(readFileSync(p).length, 0);
  assert.deepEqual(readdirSync(d), ["state.json"], "no temporary file is left behind");
});

test("a failing writer leaves the old file untouched and removes its temporary file", () => {
  const d = freshDir();
  const p = join(d, "ckpt.bin");
  writeFileSync(p, "old");
  assert.throws(() => withAtomicFile(p, (fd) => {
    writeAll(fd, Buffer.from("half of the new con"));
    throw new Error("disk on fire");
  }), /disk on fire/);
  assert.equal(readFileSync(p, "utf8"), "old");
  assert.deepEqual(readdirSync(d), ["ckpt.bin"]);
});

test("withAtomicFile streams several writes into one file", () => {
  const d = freshDir();
  const p = join(d, "out.txt");
  withAtomicFile(p, (fd) => {
    for (const s of ["a", "b", "c"]) writeAll(fd, Buffer.from(s));
  });
  assert.equal(readFileSync(p, "utf8"), "abc");
});

test("writing into a missing folder fails without creating anything", () => {
  const d = freshDir();
  assert.throws(() => writeFileAtomic(join(d, "missing", "x"), "data"), /ENOENT/);
  assert.deepEqual(readdirSync(d), []);
});

test("tempPathFor is hidden, in the same folder, and unique", () => {
  const t1 = tempPathFor("/a/b/model.safetensors");
  const t2 = tempPathFor("/a/b/model.safetensors");
  assert.equal(dirname(t1), "/a/b");
  assert.match(t1, /\/\.model\.safetensors\.tmp-\d+-[0-9a-f]{8}$/);
  assert.notEqual(t1, t2);
});

test("fsyncDir works on a folder and reports a missing one", () => {
  const d = freshDir();
  fsyncDir(d);
  assert.throws(() => fsyncDir(join(d, "nope")), /ENOENT/);
});
