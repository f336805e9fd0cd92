/**
 * The worker thread of workers.ts: counts words of corpus chunks, or encodes batches of texts. It holds its
 * own tokenizer / pre-tokenizer built from JSON, so workers share nothing but messages.
 */
import { parentPort } from "node:worker_threads";
import { CountState, type CountChunk } from "./count.js";
import { splitterFromPreTokenizer, tokenizerFromHuggingFace } from "./hf-json.js";
import type { BpeTokenizer } from "./tokenizer.js";
import type { WorkerReply, WorkerRequest } from "./workers.js";

let counting: CountState | null = null;
let tokenizer: BpeTokenizer | null = null;

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

parentPort!.on("message", (m: WorkerRequest) => {
  try {
    switch (m.kind) {
      case "count-init":
        counting = new CountState(splitterFromPreTokenizer(m.preTokenizer), m.textField, m.seed);
        reply({ kind: "ok", seq: m.seq });
        break;
      case "count":
        counting!.add(m.chunk as CountChunk);
        reply({ kind: "ok", seq: m.seq });
        break;
      case "count-finish": {
        const domains = counting!.finish();
        counting = null;
        reply({ kind: "counts", seq: m.seq, domains }, domains.map((d) => d.counts.buffer as ArrayBuffer));
        break;
      }
      case "encode-init":
        tokenizer = tokenizerFromHuggingFace(m.json, m.config);
        reply({ kind: "ok", seq: m.seq });
        break;
      case "encode": {
        const ids = m.texts.map((t) => tokenizer!.encode(t, { allowSpecial: m.allowSpecial }));
        reply({ kind: "ids", seq: m.seq, ids }, ids.map((a) => a.buffer as ArrayBuffer));
        break;
      }
    }
  } catch (e) {
    reply({ kind: "error", seq: m.seq, message: (e as Error).message });
  }
});
