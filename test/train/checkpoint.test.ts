import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { referenceKernels } from "../../src/kernels/reference.js";
import { resolveModelConfig } from "../../src/model/config.js";
import { Model } from "../../src/model/model.js";
import {
  CHECKPOINT_FORMAT, CheckpointError, listCheckpoints, loadCheckpointTensors, markKeep, newestUsableCheckpoint,
  pruneCheckpoints, readCheckpointInfo, resolveCheckpointPath, saveCheckpoint, verifyCheckpoint, type CheckpointState,
} from "../../src/train/checkpoint.js";

const config = resolveModelConfig({ num_layers: 1, d_model: 8, ffn_size: 12, num_heads: 2, vocab_size: 20, init_std: 0.1 });

function state(step: number): CheckpointState {
  return {
    format: CHECKPOINT_FORMAT, version: 1, step, tokens_seen: step * 100, optimizer_step: step, lr_multiplier: 1,
    data: { kind: "token-stream", seq: 4, epoch: 0, index: step }, callbacks: { spikes: { n: step } },
    elapsed_seconds: step, created_at: "2026-11-22T00:00:00Z",
  };
}

function save(run: string, model: Model, step: number): string {
  const m = model.k.alloc(model.layout.size).fill(step);
  const v = model.k.alloc(model.layout.size).fill(step / 2);
  return saveCheckpoint(run, { layout: model.layout, params: model.params, moments: { m, v }, state: state(step),
    config: { model: config }, tokenizer: { type: "bytes" } });
}

function withRun(fn: (run: string, model: Model) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-ckpt-"));
  try {
    const model = new Model(config, referenceKernels("f32"), { training: false });
    model.init(1);
    fn(join(dir, "run"), model);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("save and load round-trip parameters, moments, state, config and tokenizer", () => withRun((run, model) => {
  const dir = save(run, model, 7);
  assert.match(dir, /checkpoints\/step-00000007$/);
  const info = readCheckpointInfo(dir);
  assert.deepEqual(info.state, state(7));
  assert.deepEqual(info.tokenizer, { type: "bytes" });
  const other = new Model(config, referenceKernels("f32"), { training: false });
  const m = other.k.alloc(other.layout.size);
  const v = other.k.alloc(other.layout.size);
  loadCheckpointTensors(dir, other.layout, other.params, { m, v });
  assert.deepEqual(other.params, model.params);
  assert.ok(m.every((x) => x === 7) && v.every((x) => x === 3.5));
  assert.equal(resolveCheckpointPath(run), dir, "a run folder resolves to its newest checkpoint");
  assert.equal(resolveCheckpointPath(dir), dir);
}));

test("a flipped byte, a missing file or a missing marker is named, and resume falls back", () => withRun((run, model) => {
  save(run, model, 1);
  const d2 = save(run, model, 2);
  const d3 = save(run, model, 3);
  const file = join(d3, "optimizer.safetensors");
  const bytes = readFileSync(file);
  bytes[bytes.length - 3] ^= 0x40;
  writeFileSync(file, bytes);
  assert.throws(() => verifyCheckpoint(d3), (e: unknown) => e instanceof CheckpointError &&
    e.message.includes(file) && /corrupted/.test(e.message));
  unlinkSync(join(d2, "state.json"));
  assert.throws(() => verifyCheckpoint(d2), /state\.json: missing/);
  const skipped: string[] = [];
  const ck = newestUsableCheckpoint(run, (d, why) => skipped.push(`${d}: ${why}`));
  assert.equal(ck?.state.step, 1);
  assert.equal(skipped.length, 2);
  unlinkSync(join(d3, "COMPLETE"));
  assert.throws(() => verifyCheckpoint(d3), /incomplete checkpoint \(no COMPLETE marker\)/);
  assert.deepEqual(listCheckpoints(run).map((e) => [e.step, e.complete]), [[3, false], [2, true], [1, true]]);
}));

test("retention keeps the newest K plus checkpoints marked to keep, and clears interrupted saves", () => withRun((run, model) => {
  for (const s of [1, 2, 3, 4, 5]) {
    const d = save(run, model, s);
    if (s === 2) markKeep(d);
  }
  mkdirSync(join(run, "checkpoints", ".step-00000006.tmp-123"));
  pruneCheckpoints(run, 2);
  assert.deepEqual(listCheckpoints(run).map((e) => e.step), [5, 4, 2]);
  assert.deepEqual(readdirSync(join(run, "checkpoints")).sort(), ["step-00000002", "step-00000004", "step-00000005"]);
}));

test("paths that are not checkpoints, and checkpoints from a newer version, give clear errors", () => withRun((run, model) => {
  assert.throws(() => resolveCheckpointPath(join(run, "nope")), /no such file or directory/);
  mkdirSync(run, { recursive: true });
  assert.throws(() => resolveCheckpointPath(run), /neither a checkpoint directory nor a run directory/);
  const d = save(run, model, 1);
  const s = JSON.parse(readFileSync(join(d, "state.json"), "utf8"));
  s.version = 99;
  writeFileSync(join(d, "state.json"), JSON.stringify(s));
  assert.throws(() => readCheckpointInfo(d, false), /version 99 is newer than this program supports/);
}));
