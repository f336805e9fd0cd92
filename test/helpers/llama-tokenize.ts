/**
 * Child-process helper for the llama.cpp compatibility tests: loads a GGUF vocabulary with node-llama-cpp
 * (vocab only, CPU, no build) and prints, as JSON on stdout, the ids llama.cpp gives each text of a JSON file.
 * A separate process because a malformed GGUF can abort the whole process inside llama.cpp.
 *   node llama-tokenize.js <model.gguf> <texts.json> [--special]
 */
import { readFileSync } from "node:fs";
import { getLlama } from "node-llama-cpp";

const [modelPath, textsPath, flag] = process.argv.slice(2);
const texts = JSON.parse(readFileSync(textsPath, "utf8")) as string[];
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
const model = await llama.loadModel({ modelPath, vocabOnly: true });
const ids = texts.map((t) => Array.from(model.tokenize(t, flag === "--special"), Number));
const detok = ids.map((x) => model.detokenize(x as never, false));
process.stdout.write(JSON.stringify({ ids, detok, bos: model.tokens.bos, eos: model.tokens.eos }) + "\n");
await model.dispose();
await llama.dispose();
