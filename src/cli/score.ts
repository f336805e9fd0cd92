/** `pretrain score`: per-token log-probabilities of a text or token list, as JSON. */
import { readFileSync } from "node:fs";
import { defineCommand, UsageError } from "./args.js";
import { BACKEND_OPTION, THREADS_OPTION, kernelsFor, cliCommand, type Command } from "./command.js";
import { loadModel } from "../infer/load.js";
import { scoreTokens } from "../infer/score.js";

const spec = defineCommand({
  name: "pretrain score",
  summary: "print per-token log-probabilities of a text or token-id list as JSON",
  usage: "pretrain score --model <checkpoint> (--text <text> | --file <path> | --ids <1,2,3>) [options]",
  description: "log p(t_i | t_<i) for every token after the first (natural log); texts longer than the context " +
    "are scored in overlapping windows.",
  options: {
    model: { type: "string", valueName: "<dir>", description: "checkpoint directory, or a run directory" },
    text: { type: "string", description: "text to score" },
    file: { type: "string", valueName: "<path>", description: "file whose text to score" },
    ids: { type: "string", valueName: "<list>", description: "comma-separated token ids to score" },
    bos: { type: "boolean", description: "prepend the BOS token so the first token is scored too" },
    backend: BACKEND_OPTION,
    threads: THREADS_OPTION,
  },
  positionals: [],
  examples: ['pretrain score --model runs/demo --text "npm install"', "pretrain score --model runs/demo --ids 110,112,109"],
});

function parseIds(list: string, vocab: number): Int32Array {
  const parts = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const out = new Int32Array(parts.length);
  parts.forEach((p, i) => {
    const v = Number(p);
    if (!Number.isInteger(v) || v < 0 || v >= vocab) {
      throw new UsageError(spec.name, `--ids: "${p}" (item ${i + 1}) is not a token id in [0, ${vocab})`);
    }
    out[i] = v;
  });
  return out;
}

export const scoreCommand: Command = cliCommand("score", spec, (o) => {
  if (!o.model) throw new UsageError(spec.name, "--model is required");
  const given = [o.text, o.file, o.ids].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError(spec.name, "give exactly one of --text, --file, --ids");
  const { model, tokenizer } = loadModel(o.model, kernelsFor(o.backend, o.threads));
  let ids: Int32Array;
  if (o.ids !== undefined) ids = parseIds(o.ids, model.config.vocab_size);
  else {
    if (!tokenizer) throw new Error(`${o.model}: the checkpoint has no tokenizer.json; use --ids`);
    ids = tokenizer.encode(o.text ?? readFileSync(o.file!, "utf8"));
  }
  if (o.bos) {
    const bos = tokenizer?.bosId ?? model.config.bos_token_id;
    if (bos === null || bos === undefined) throw new UsageError(spec.name, "--bos: this model has no BOS token");
    ids = Int32Array.from([bos, ...ids]);
  }
  const r = scoreTokens(model, ids);
  const tokens = r.tokens.map((t) => ({ ...t, text: tokenizer ? tokenizer.decode([t.id]) : undefined }));
  process.stdout.write(JSON.stringify({
    model: o.model, count: r.count, sum_logprob: r.sum, mean_logprob: r.sum / r.count, perplexity: r.perplexity,
    tokens,
  }, null, 2) + "\n");
  return 0;
});
