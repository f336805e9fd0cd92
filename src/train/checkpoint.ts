/**
 * Checkpoints: one directory per saved step under <run>/checkpoints/step-NNNNNNNN/ holding
 *   model.safetensors      the training-form parameters (WeSaR gates included), float32, Hugging Face names
 *   optimizer.safetensors  the AdamW moments (exp_avg.<name>, exp_avg_sq.<name>)
 *   state.json             step, tokens seen, data position, RNG and callback states (monitor, spike detector),
 *                          schedule, batches skipped by the spike policies
 *   config.json            the resolved run configuration (model, optimizer, schedule, data, train)
 *   tokenizer.json         the tokenizer the run uses (when known)
 *   COMPLETE               written last: the size and SHA-256 of every file above
 * Everything is written into a temporary directory that is renamed into place; the COMPLETE marker follows. A
 * directory without its marker, or whose files do not match it, is never used: resume falls back to the
 * previous complete checkpoint.
 */
import { createHash } from "node:crypto";
import {
  closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync,
} from "node:fs";
import { join, resolve } from "node:path";
import type { Buf } from "../kernels/types.js";
import type { Layout } from "../model/layout.js";
import { openSafetensors, writeSafetensors, type TensorToWrite } from "../util/safetensors.js";
import { fsyncDir, writeFileAtomic } from "../util/atomic.js";

export const CHECKPOINT_FORMAT = "pretrain-ts-checkpoint";
export const CHECKPOINT_VERSION = 1;
const MARKER = "COMPLETE";
const KEEP = "KEEP";

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** What state.json holds. `data` and `callbacks` belong to the data source and the trainer's callbacks. */
export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  step: number;
  tokens_seen: number;
  optimizer_step: number;
  lr_multiplier: number;
  data: unknown;
  callbacks: Record<string, unknown>;
  elapsed_seconds: number;
  created_at: string;
  /** batches the spike policies skipped so far, in order (absent in checkpoints of older versions) */
  skipped_batches?: SkippedBatches[];
  /** rollbacks to an earlier checkpoint performed so far (absent: 0) */
  rollbacks?: number;
}

/**
 * Batches a run trained on no longer: the batch of a step whose update was skipped ("skip"), or every batch from
 * the checkpoint a rollback went back to up to and including the offending step's ("rollback"). `data` /
 * `data_from`–`data_to` are data-source positions (TokenSource.state()).
 */
export type SkippedBatches =
  | { kind: "skip"; step: number; batches: number; data: unknown }
  | { kind: "rollback"; rollback: number; step: number; to_step: number; batches: number; data_from: unknown;
    data_to: unknown };

export interface CheckpointContents {
  layout: Layout;
  params: Buf;
  /** Adam moments; null to save or load the model only */
  moments: { m: Buf; v: Buf } | null;
  state: CheckpointState;
  config: unknown;
  tokenizer?: unknown;
}

export function checkpointsDir(runDir: string): string {
  return join(runDir, "checkpoints");
}

export function stepDirName(step: number): string {
  return `step-${String(step).padStart(8, "0")}`;
}

function f32View(buf: Buf): Float32Array {
  return buf instanceof Float32Array ? buf : Float32Array.from(buf);
}

function tensorsOf(layout: Layout, arena: Buf, prefix: string): TensorToWrite[] {
  return layout.tensors.map((t) => ({
    name: prefix + t.name,
    dtype: "F32" as const,
    shape: t.shape,
    data: f32View(arena.subarray(t.offset, t.offset + t.size)),
  }));
}

function sha256File(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

interface Manifest {
  format: string;
  version: number;
  step: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

/**
 * Saves a checkpoint for `state.step` and returns its directory. An existing complete checkpoint of the same step
 * is replaced.
 */
export function saveCheckpoint(runDir: string, c: CheckpointContents): string {
  const root = checkpointsDir(runDir);
  mkdirSync(root, { recursive: true });
  const final = join(root, stepDirName(c.state.step));
  const tmp = join(root, `.${stepDirName(c.state.step)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const meta = { format: CHECKPOINT_FORMAT, step: String(c.state.step) };
  writeSafetensors(join(tmp, "model.safetensors"), tensorsOf(c.layout, c.params, ""), { ...meta, kind: "model" });
  if (c.moments) {
    writeSafetensors(join(tmp, "optimizer.safetensors"), [
      ...tensorsOf(c.layout, c.moments.m, "exp_avg."),
      ...tensorsOf(c.layout, c.moments.v, "exp_avg_sq."),
    ], { ...meta, kind: "optimizer", optimizer_step: String(c.state.optimizer_step) });
  }
  writeFileAtomic(join(tmp, "state.json"), JSON.stringify(c.state, null, 2) + "\n");
  writeFileAtomic(join(tmp, "config.json"), JSON.stringify(c.config, null, 2) + "\n");
  if (c.tokenizer !== undefined) writeFileAtomic(join(tmp, "tokenizer.json"), JSON.stringify(c.tokenizer) + "\n");
  const manifest: Manifest = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step: c.state.step, files: {} };
  for (const name of readdirSync(tmp).sort()) {
    const p = join(tmp, name);
    manifest.files[name] = { bytes: statSync(p).size, sha256: sha256File(p) };
  }
  fsyncDir(tmp);
  if (existsSync(final)) rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  fsyncDir(root);
  writeFileAtomic(join(final, MARKER), JSON.stringify(manifest, null, 2) + "\n");
  return final;
}

export interface CheckpointEntry {
  step: number;
  dir: string;
  complete: boolean;
  keep: boolean;
}

/** Checkpoint directories of a run, newest first. */
export function listCheckpoints(runDir: string): CheckpointEntry[] {
  const root = checkpointsDir(runDir);
  if (!existsSync(root)) return [];
  const out: CheckpointEntry[] = [];
  for (const name of readdirSync(root)) {
    const m = /^step-(\d+)$/.exec(name);
    if (!m) continue;
    const dir = join(root, name);
    out.push({ step: Number(m[1]), dir, complete: existsSync(join(dir, MARKER)), keep: existsSync(join(dir, KEEP)) });
  }
  return out.sort((a, b) => b.step - a.step);
}

/** Marks a checkpoint to be kept whatever the retention policy says. */
export function markKeep(dir: string): void {
  writeFileAtomic(join(dir, KEEP), "kept\n");
}

/**
 * Deletes complete checkpoints beyond the newest `keepLast`, except those marked to keep, and leftovers of
 * interrupted saves (temporary directories and directories without a marker older than the newest complete one).
 */
export function pruneCheckpoints(runDir: string, keepLast: number): string[] {
  const removed: string[] = [];
  const all = listCheckpoints(runDir);
  const complete = all.filter((e) => e.complete);
  const newest = complete.length ? complete[0].step : -1;
  let rank = 0;
  for (const e of all) {
    if (!e.complete) {
      if (e.step < newest) {
        rmSync(e.dir, { recursive: true, force: true });
        removed.push(e.dir);
      }
      continue;
    }
    const recent = rank++ < keepLast;
    if (recent || e.keep) continue;
    rmSync(e.dir, { recursive: true, force: true });
    removed.push(e.dir);
  }
  const root = checkpointsDir(runDir);
  if (existsSync(root)) {
    for (const name of readdirSync(root)) {
      if (name.startsWith(".step-") && name.includes(".tmp-")) {
        rmSync(join(root, name), { recursive: true, force: true });
        removed.push(join(root, name));
      }
    }
  }
  return removed;
}

/** Checks a checkpoint directory against its COMPLETE manifest; throws a CheckpointError naming the bad file. */
export function verifyCheckpoint(dir: string): Manifest {
  const markerPath = join(dir, MARKER);
  if (!existsSync(markerPath)) {
    throw new CheckpointError(`${dir}: incomplete checkpoint (no ${MARKER} marker); it was interrupted while saving`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(markerPath, "utf8")) as Manifest;
  } catch (e) {
    throw new CheckpointError(`${markerPath}: unreadable marker (${(e as Error).message})`);
  }
  if (manifest.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${markerPath}: not a ${CHECKPOINT_FORMAT} marker`);
  }
  for (const [name, want] of Object.entries(manifest.files)) {
    const p = join(dir, name);
    if (!existsSync(p)) throw new CheckpointError(`${p}: missing (the checkpoint lists it)`);
    const size = statSync(p).size;
    if (size !== want.bytes) {
      throw new CheckpointError(`${p}: ${size < want.bytes ? "truncated" : "wrong size"}: ${size} bytes, expected ${want.bytes}`);
    }
    if (sha256File(p) !== want.sha256) throw new CheckpointError(`${p}: corrupted (SHA-256 does not match the marker)`);
  }
  return manifest;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CheckpointError(`${path}: ${(e as Error).message}`);
  }
}

function loadTensors(path: string, layout: Layout, arena: Buf, prefix: string): void {
  const reader = openSafetensors(path);
  try {
    for (const t of layout.tensors) {
      const name = prefix + t.name;
      if (!reader.has(name)) throw new CheckpointError(`${path}: tensor ${name} is missing`);
      const info = reader.info(name);
      if (info.shape.length !== t.shape.length || info.shape.some((d, i) => d !== t.shape[i])) {
        throw new CheckpointError(`${path}: tensor ${name} has shape [${info.shape}], the model expects [${t.shape}]`);
      }
      const view = arena.subarray(t.offset, t.offset + t.size);
      if (view instanceof Float32Array) reader.readF32(name, view);
      else view.set(reader.readF32(name));
    }
  } finally {
    reader.close();
  }
}

export interface LoadedCheckpoint {
  dir: string;
  state: CheckpointState;
  config: unknown;
  tokenizer: unknown;
}

/** Reads a checkpoint's state, config and tokenizer without its tensors (after verifying it). */
export function readCheckpointInfo(dir: string, verify = true): LoadedCheckpoint {
  if (verify) verifyCheckpoint(dir);
  const state = readJson(join(dir, "state.json")) as CheckpointState;
  if (state.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${join(dir, "state.json")}: not a checkpoint state`);
  if (state.version > CHECKPOINT_VERSION) {
    throw new CheckpointError(`${dir}: checkpoint version ${state.version} is newer than this program supports (${CHECKPOINT_VERSION}); upgrade pretrain-ts`);
  }
  const tokPath = join(dir, "tokenizer.json");
  return {
    dir, state, config: readJson(join(dir, "config.json")),
    tokenizer: existsSync(tokPath) ? readJson(tokPath) : null,
  };
}

/** Loads parameters (and moments when given) from a verified checkpoint directory. */
export function loadCheckpointTensors(dir: string, layout: Layout, params: Buf, moments: { m: Buf; v: Buf } | null): void {
  loadTensors(join(dir, "model.safetensors"), layout, params, "");
  if (moments) {
    const p = join(dir, "optimizer.safetensors");
    if (!existsSync(p)) throw new CheckpointError(`${p}: missing; this checkpoint holds no optimizer state`);
    loadTensors(p, layout, moments.m, "exp_avg.");
    loadTensors(p, layout, moments.v, "exp_avg_sq.");
  }
}

/**
 * Loads only the Adam moments of a checkpoint into `moments`, after checking that optimizer.safetensors holds
 * exactly the layout's tensors (exp_avg.<name> and exp_avg_sq.<name>, same shapes) and nothing else. Throws a
 * CheckpointError listing the mismatches. Returns the number of tensors per moment.
 */
export function loadOptimizerMoments(dir: string, layout: Layout, moments: { m: Buf; v: Buf }): number {
  const p = join(dir, "optimizer.safetensors");
  if (!existsSync(p)) throw new CheckpointError(`${p}: missing; this checkpoint holds no optimizer state`);
  const reader = openSafetensors(p);
  const problems: string[] = [];
  try {
    const expected = new Set<string>();
    for (const prefix of ["exp_avg.", "exp_avg_sq."]) {
      for (const t of layout.tensors) {
        const name = prefix + t.name;
        expected.add(name);
        if (!reader.has(name)) problems.push(`${name} is missing`);
        else {
          const shape = reader.info(name).shape;
          if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) {
            problems.push(`${name} is ${shape.join("×")}, the model needs ${t.shape.join("×")}`);
          }
        }
      }
    }
    for (const name of reader.names()) if (!expected.has(name)) problems.push(`${name} has no place in this model`);
  } finally {
    reader.close();
  }
  if (problems.length) {
    throw new CheckpointError(`${p}: the optimizer state does not fit the model:\n  ${problems.slice(0, 12).join("\n  ")}` +
      (problems.length > 12 ? `\n  … and ${problems.length - 12} more` : ""));
  }
  loadTensors(p, layout, moments.m, "exp_avg.");
  loadTensors(p, layout, moments.v, "exp_avg_sq.");
  return layout.tensors.length;
}

/**
 * A path given by a user: a checkpoint directory, or a run directory (its newest complete checkpoint). Throws a
 * CheckpointError that says what was found.
 */
export function resolveCheckpointPath(path: string): string {
  const p = resolve(path);
  if (!existsSync(p)) throw new CheckpointError(`${path}: no such file or directory`);
  if (existsSync(join(p, "model.safetensors")) || existsSync(join(p, MARKER))) return p;
  const entries = listCheckpoints(p).filter((e) => e.complete);
  if (entries.length === 0) {
    throw new CheckpointError(`${path}: neither a checkpoint directory nor a run directory with a complete checkpoint`);
  }
  return entries[0].dir;
}

/**
 * The newest complete checkpoint of a run that verifies, trying older ones when a newer one is damaged.
 * `onSkip` hears about each damaged checkpoint passed over. Null when the run has none.
 */
export function newestUsableCheckpoint(runDir: string, onSkip?: (dir: string, why: string) => void): LoadedCheckpoint | null {
  for (const e of listCheckpoints(runDir)) {
    if (!e.complete) {
      onSkip?.(e.dir, "incomplete (no COMPLETE marker)");
      continue;
    }
    try {
      return readCheckpointInfo(e.dir, true);
    } catch (err) {
      onSkip?.(e.dir, (err as Error).message);
    }
  }
  return null;
}
