/**
 * Hugging Face tokenizer.json and tokenizer_config.json: writing ours, and reading any byte-level BPE.
 *
 * What we write (the layout Qwen2's tokenizer.json uses, with our own vocabulary):
 *   added_tokens   the special tokens (special: true, no stripping), ids 0…S−1
 *   normalizer     null
 *   pre_tokenizer  Sequence[ Split(Regex = the Qwen2 pattern, Isolated), ByteLevel(use_regex = false) ]
 *   post_processor ByteLevel (adds nothing: no BOS/EOS is inserted by encode)
 *   decoder        ByteLevel
 *   model          BPE, vocab = specials + 256 byte tokens + merges (every id 0…N−1 present, so `tokenizers`
 *                  keeps the specials' ids), merges as [left, right] pairs
 *
 * What we read: model type BPE over the byte-level alphabet; pre-tokenizers ByteLevel (with or without its
 * GPT-2 regex, add_prefix_space honoured), Split (behaviour Isolated; the Qwen2, Llama 3 and GPT-2 patterns run
 * by hand, others through a JavaScript RegExp), Digits and Sequence of these; normalizers null, NFC, NFD, NFKC,
 * NFKD, Lowercase and Sequence; unk_token, fuse_unk and ignore_merges. The post-processor is ignored (we never
 * add tokens), the decoder is always byte-level, and model.dropout is ignored (dropout is an encode option).
 * Anything else is an error that names the part.
 */
import { BpeModel } from "./model.js";
import { bytesToTokenString, tokenStringToBytes } from "./byte-unicode.js";
import {
  DigitsSplitter, GPT2_PATTERN, Gpt2Splitter, LLAMA3_PATTERN, LLAMA3_PATTERN_EXPANDED, QWEN2_PATTERN,
  QWEN2_PATTERN_ORIGINAL, Qwen2Splitter, RegexSplitter, SequenceSplitter, WholeSplitter, type Splitter,
} from "./pretokenize.js";
import { BpeTokenizer, type AddedToken, type SpecialRoles } from "./tokenizer.js";

type Json = Record<string, unknown>;

export class TokenizerFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenizerFormatError";
  }
}

const BYTE_LEVEL = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };

export interface OurTokenizerContents {
  /** special tokens, ids 0…S−1 */
  specials: string[];
  /** byte strings of the ids after the specials: the 256 bytes, then one per new token of a merge */
  tokens: Uint8Array[];
  /** merges in rank order, as pairs of ids */
  merges: [number, number][];
  roles: SpecialRoles;
}

/** Our tokenizer.json (see the file comment). */
export function buildTokenizerJson(c: OurTokenizerContents): Json {
  const S = c.specials.length;
  // A prototype-free object, so a token such as "__proto__" is an ordinary key.
  const vocab: Record<string, number> = Object.create(null);
  c.specials.forEach((s, id) => (vocab[s] = id));
  const strings = c.tokens.map((t) => bytesToTokenString(t));
  strings.forEach((s, i) => {
    if (s in vocab) throw new Error(`token ${S + i} ${JSON.stringify(s)} duplicates id ${vocab[s]}`);
    vocab[s] = S + i;
  });
  const name = (id: number) => (id < S ? c.specials[id] : strings[id - S]);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: c.specials.map((content, id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: QWEN2_PATTERN }, behavior: "Isolated", invert: false },
        { ...BYTE_LEVEL },
      ],
    },
    post_processor: { ...BYTE_LEVEL },
    decoder: { ...BYTE_LEVEL },
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab,
      merges: c.merges.map(([a, b]) => [name(a), name(b)]),
    },
  };
}

/** tokenizer_config.json for transformers (AutoTokenizer) and transformers.js. */
export function buildTokenizerConfig(added: readonly AddedToken[], roles: SpecialRoles): Json {
  const byId = new Map(added.map((t) => [t.id, t.content]));
  const name = (id: number | null) => (id === null ? null : byId.get(id) ?? null);
  const decoder: Record<string, unknown> = {};
  for (const t of added) {
    decoder[String(t.id)] = { content: t.content, lstrip: t.lstrip, normalized: false, rstrip: t.rstrip, single_word: false, special: t.special };
  }
  const named = new Set([roles.bos, roles.eos, roles.pad]);
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: name(roles.bos),
    eos_token: name(roles.eos),
    pad_token: name(roles.pad),
    unk_token: null,
    add_bos_token: false,
    add_eos_token: false,
    // Keep "a ." as it is when decoding (transformers would otherwise remove spaces before punctuation).
    clean_up_tokenization_spaces: false,
    additional_special_tokens: added.filter((t) => t.special && !named.has(t.id)).map((t) => t.content),
    added_tokens_decoder: decoder,
  };
}

function fail(where: string, problem: string): never {
  throw new TokenizerFormatError(`tokenizer.json: ${where}: ${problem}`);
}

function obj(v: unknown, where: string): Json {
  if (v === null || typeof v !== "object" || Array.isArray(v)) fail(where, `expected an object, got ${JSON.stringify(v)}`);
  return v as Json;
}

/** Builds the pre-tokenizer; returns the splitter and whether a prefix space is added. */
function parsePreTokenizer(v: unknown, where: string): { splitters: Splitter[]; prefixSpace: boolean } {
  if (v === null || v === undefined) return { splitters: [], prefixSpace: false };
  const p = obj(v, where);
  switch (p.type) {
    case "ByteLevel":
      return { splitters: p.use_regex === false ? [] : [new Gpt2Splitter()], prefixSpace: p.add_prefix_space === true };
    case "Split": {
      if (p.invert === true) fail(where, "Split with invert: true is not supported");
      if (p.behavior !== "Isolated") fail(where, `Split behavior ${JSON.stringify(p.behavior)} is not supported (only "Isolated")`);
      const pat = obj(p.pattern, `${where}.pattern`);
      if (typeof pat.String === "string") {
        return { splitters: [new RegexSplitter(pat.String.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))], prefixSpace: false };
      }
      const re = pat.Regex;
      if (typeof re !== "string") fail(`${where}.pattern`, "expected {Regex: …} or {String: …}");
      if (re === QWEN2_PATTERN || re === QWEN2_PATTERN_ORIGINAL) return { splitters: [new Qwen2Splitter(1)], prefixSpace: false };
      if (re === LLAMA3_PATTERN || re === LLAMA3_PATTERN_EXPANDED) return { splitters: [new Qwen2Splitter(3)], prefixSpace: false };
      if (re === GPT2_PATTERN) return { splitters: [new Gpt2Splitter()], prefixSpace: false };
      return { splitters: [new RegexSplitter(re)], prefixSpace: false };
    }
    case "Digits":
      return { splitters: [new DigitsSplitter(p.individual_digits === true)], prefixSpace: false };
    case "Sequence": {
      if (!Array.isArray(p.pretokenizers)) fail(where, "Sequence without a pretokenizers list");
      const splitters: Splitter[] = [];
      let prefixSpace = false;
      (p.pretokenizers as unknown[]).forEach((q, i) => {
        const r = parsePreTokenizer(q, `${where}.pretokenizers[${i}]`);
        splitters.push(...r.splitters);
        prefixSpace ||= r.prefixSpace;
      });
      return { splitters, prefixSpace };
    }
    default:
      fail(where, `pre-tokenizer ${JSON.stringify(p.type)} is not supported (supported: ByteLevel, Split, Digits, Sequence)`);
  }
}

function parseNormalizer(v: unknown, where: string): ((s: string) => string) | null {
  if (v === null || v === undefined) return null;
  const n = obj(v, where);
  switch (n.type) {
    case "NFC": case "NFD": case "NFKC": case "NFKD": {
      const form = n.type;
      return (s) => s.normalize(form);
    }
    case "Lowercase":
      return (s) => s.toLowerCase();
    case "Sequence": {
      if (!Array.isArray(n.normalizers)) fail(where, "Sequence without a normalizers list");
      const fs = (n.normalizers as unknown[]).map((m, i) => parseNormalizer(m, `${where}.normalizers[${i}]`)).filter((f) => f !== null);
      return fs.length === 0 ? null : (s) => fs.reduce((acc, f) => f!(acc), s);
    }
    default:
      fail(where, `normalizer ${JSON.stringify(n.type)} is not supported (supported: NFC, NFD, NFKC, NFKD, Lowercase, Sequence)`);
  }
}

/** A special token's content from a tokenizer_config.json value (a string or {content}). */
function tokenName(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as Json).content === "string") return (v as Json).content as string;
  return null;
}

const BOS_NAMES = ["<|begin_of_text|>", "<s>", "<|bos|>", "<bos>", "[BOS]", "<|startoftext|>"];
const EOS_NAMES = ["<|endoftext|>", "<|end_of_text|>", "</s>", "<|eos|>", "<eos>", "[EOS]"];
const PAD_NAMES = ["<|pad|>", "<pad>", "[PAD]", "<|padding|>"];

/**
 * Which special tokens are bos, eos and pad: from tokenizer_config.json when given; otherwise by the usual
 * names; otherwise, when ids 0, 1, 2 are special added tokens (our layout), pad, bos, eos.
 */
function inferRoles(added: AddedToken[], config: Json | null): SpecialRoles {
  const byContent = new Map(added.map((t) => [t.content, t.id]));
  const find = (key: string, names: string[]): number | null => {
    const fromConfig = config ? tokenName(config[key]) : null;
    if (fromConfig !== null && byContent.has(fromConfig)) return byContent.get(fromConfig)!;
    for (const n of names) if (byContent.has(n)) return byContent.get(n)!;
    return null;
  };
  const roles: SpecialRoles = { bos: find("bos_token", BOS_NAMES), eos: find("eos_token", EOS_NAMES), pad: find("pad_token", PAD_NAMES) };
  const special = (id: number) => added.some((t) => t.id === id && t.special);
  if (roles.bos === null && roles.eos === null && special(0) && special(1) && special(2)) {
    roles.pad ??= 0;
    roles.bos = 1;
    roles.eos = 2;
  }
  return roles;
}

/** The splitter a pre_tokenizer object describes (null: no splitting). */
export function splitterFromPreTokenizer(v: unknown): Splitter {
  const pre = parsePreTokenizer(v, "pre_tokenizer");
  return pre.splitters.length === 0 ? new WholeSplitter() : pre.splitters.length === 1 ? pre.splitters[0] : new SequenceSplitter(pre.splitters);
}

/** Reads a Hugging Face tokenizer.json object (and optionally its tokenizer_config.json) into a tokenizer. */
export function tokenizerFromHuggingFace(jsonIn: unknown, configIn: unknown = null): BpeTokenizer {
  const json = obj(jsonIn, "top level");
  const model = obj(json.model, "model");
  if (model.type !== undefined && model.type !== "BPE") fail("model.type", `${JSON.stringify(model.type)} is not supported (only BPE)`);
  if (model.byte_fallback === true) fail("model.byte_fallback", "byte fallback is for SentencePiece-style BPE; only byte-level BPE is supported");
  for (const k of ["continuing_subword_prefix", "end_of_word_suffix"]) {
    if (model[k] !== null && model[k] !== undefined && model[k] !== "") fail(`model.${k}`, "is not supported by byte-level BPE");
  }
  const vocab = obj(model.vocab, "model.vocab");
  const addedRaw = json.added_tokens ?? [];
  if (!Array.isArray(addedRaw)) fail("added_tokens", "expected a list");
  const added: AddedToken[] = addedRaw.map((t: unknown, i: number) => {
    const a = obj(t, `added_tokens[${i}]`);
    if (!Number.isInteger(a.id) || typeof a.content !== "string") fail(`added_tokens[${i}]`, "needs an integer id and a string content");
    if (a.single_word === true) fail(`added_tokens[${i}]`, "single_word: true is not supported");
    return { id: a.id as number, content: a.content as string, special: a.special === true, lstrip: a.lstrip === true, rstrip: a.rstrip === true };
  });

  let size = 0;
  for (const id of Object.values(vocab)) {
    if (!Number.isInteger(id) || (id as number) < 0) fail("model.vocab", `id ${JSON.stringify(id)} is not a non-negative integer`);
    size = Math.max(size, (id as number) + 1);
  }
  for (const t of added) size = Math.max(size, t.id + 1);
  const tokenStrings = new Array<string>(size);
  const tokenBytes = new Array<Uint8Array | null>(size).fill(null);
  const addedIds = new Set(added.map((t) => t.id));
  for (const [s, id] of Object.entries(vocab) as [string, number][]) {
    tokenStrings[id] = s;
    const bytes = tokenStringToBytes(s);
    if (bytes === null && !addedIds.has(id)) {
      fail("model.vocab", `token ${JSON.stringify(s)} (id ${id}) is not written in the byte-level alphabet; ` +
        "only byte-level BPE tokenizers (GPT-2 style) are supported");
    }
    tokenBytes[id] = bytes;
  }
  for (const t of added) tokenStrings[t.id] = t.content;
  for (let id = 0; id < size; id++) {
    if (tokenStrings[id] === undefined) fail("model.vocab", `ids are not contiguous: no token has id ${id}`);
  }

  const mergesRaw = model.merges ?? [];
  if (!Array.isArray(mergesRaw)) fail("model.merges", "expected a list");
  const merges: [number, number][] = mergesRaw.map((m: unknown, r: number) => {
    let a: unknown, b: unknown;
    if (typeof m === "string") {
      const sp = m.indexOf(" ", 1);
      if (sp < 0) fail(`model.merges[${r}]`, `${JSON.stringify(m)} is not "left right"`);
      a = m.slice(0, sp);
      b = m.slice(sp + 1);
    } else if (Array.isArray(m) && m.length === 2) [a, b] = m;
    else fail(`model.merges[${r}]`, `expected "left right" or [left, right], got ${JSON.stringify(m)}`);
    const ia = vocab[a as string], ib = vocab[b as string];
    if (typeof ia !== "number" || typeof ib !== "number") fail(`model.merges[${r}]`, `${JSON.stringify(m)} uses a token not in the vocabulary`);
    return [ia, ib];
  });

  const unk = model.unk_token;
  const unkId = typeof unk === "string" ? (vocab[unk] as number | undefined) ?? null : null;
  if (typeof unk === "string" && unkId === null) fail("model.unk_token", `${JSON.stringify(unk)} is not in the vocabulary`);
  let bpe: BpeModel;
  try {
    bpe = new BpeModel({ tokens: tokenBytes, merges, unkId, fuseUnk: model.fuse_unk === true, ignoreMerges: model.ignore_merges === true });
  } catch (e) {
    fail("model.merges", (e as Error).message);
  }
  const pre = parsePreTokenizer(json.pre_tokenizer, "pre_tokenizer");
  const splitter = pre.splitters.length === 0 ? new WholeSplitter() : pre.splitters.length === 1 ? pre.splitters[0] : new SequenceSplitter(pre.splitters);
  const config = configIn === null || configIn === undefined ? null : obj(configIn, "tokenizer_config.json");
  const roles = inferRoles(added, config);
  return new BpeTokenizer({
    model: bpe, tokenStrings, tokenBytes, added, splitter, prefixSpace: pre.prefixSpace,
    normalize: parseNormalizer(json.normalizer, "normalizer"), roles, json,
    config: config ?? buildTokenizerConfig(added, roles),
  });
}
