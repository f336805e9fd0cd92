/**
 * Builds the demo corpus from the command line and prints what it wrote (sizes, documents, time), until the
 * `pretrain demo` command builds it itself:
 *   node dist/src/demo/build-corpus.js <outDir> [--max-bytes N|none] [--domains books,code] [--max-doc-bytes N] [--json]
 */
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { buildDemoCorpus, DOMAIN_NAMES, type DemoCorpusOptions, type DomainName } from "./corpus.js";

const USAGE = "usage: node dist/src/demo/build-corpus.js <outDir> [--max-bytes N|none] [--domains a,b,…] [--max-doc-bytes N] [--math-problems N] [--json]";

function parse(argv: string[]): { out: string; options: DemoCorpusOptions; json: boolean } {
  let out: string | null = null;
  const options: DemoCorpusOptions = {};
  let json = false;
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isSafeInteger(n)) throw new Error(`${flag} needs a whole number, got ${v ?? "nothing"}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--max-bytes") options.maxBytesPerDomain = argv[i + 1] === "none" ? (i++, null) : num(a, argv[++i]);
    else if (a === "--max-doc-bytes") options.maxDocumentBytes = num(a, argv[++i]);
    else if (a === "--math-problems") options.mathProblems = num(a, argv[++i]);
    else if (a === "--domains") options.domains = (argv[++i] ?? "").split(",").filter(Boolean) as DomainName[];
    else if (a === "--json") json = true;
    else if (a === "--help" || a === "-h") {
      console.log(`${USAGE}\ndomains: ${DOMAIN_NAMES.join(", ")}`);
      process.exit(0);
    } else if (a.startsWith("-") || out !== null) throw new Error(`unexpected argument ${a}\n${USAGE}`);
    else out = a;
  }
  if (out === null) throw new Error(USAGE);
  return { out, options, json };
}

function main(): void {
  const { out, options, json } = parse(process.argv.slice(2));
  const t0 = performance.now();
  const corpus = buildDemoCorpus(out, {
    ...options, onDomain: (d) => process.stderr.write(`${d.name}: ${d.documents} documents, ${d.bytes} bytes (${d.seconds.toFixed(2)} s)\n`),
  });
  const seconds = (performance.now() - t0) / 1000;
  if (json) {
    console.log(JSON.stringify({ ...corpus, seconds }, null, 2));
    return;
  }
  const kb = (b: number) => (b / 1024).toFixed(0).padStart(7);
  console.log("domain        docs   JSONL KiB  text KiB | available docs  JSONL KiB  text KiB   seconds");
  let bytes = 0;
  for (const d of corpus.domains) {
    bytes += d.bytes;
    console.log(`${d.name.padEnd(12)} ${String(d.documents).padStart(6)} ${kb(d.bytes)}    ${kb(d.textBytes)}   | ${String(d.available.documents).padStart(14)} ${kb(d.available.bytes)}    ${kb(d.available.textBytes)}   ${d.seconds.toFixed(2).padStart(7)}`);
  }
  console.log(`total: ${(bytes / 1048576).toFixed(2)} MiB in ${corpus.domains.length} files, ${seconds.toFixed(2)} s; manifest ${corpus.manifest}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
