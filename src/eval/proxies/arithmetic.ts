/**
 * proxy-arith (GSM8K-like; not GSM8K): arithmetic word problems generated from templates, with worked solutions
 * in GSM8K's format (calculator annotations "<<a*b=c>>", final line "#### N"). Every problem is verified twice:
 * each annotation is recomputed from its operands, and the final answer must equal both the last annotation and
 * the template's independent closed form; a problem that fails either check is a bug and throws. Integer
 * arithmetic only, no negative intermediate results, exact divisions. Test problems use the seeds
 * "proxy-arith:test:<i>", few-shot problems "proxy-arith:train:<i>", so the two never coincide.
 */
import { Rng } from "../../util/rng.js";
import type { GenerateExample, GenerateTask } from "../types.js";
import { gsm8kTask, stripCalculatorAnnotations } from "../loaders/gsm8k.js";

const NAMES = ["Maya", "Omar", "Lena", "Ravi", "Sofia", "Tomas", "Aiko", "Jonah", "Priya", "Mateo", "Nadia", "Eli",
  "Grace", "Kofi", "Ines", "Viktor"];
const THINGS = ["apples", "pencils", "stickers", "marbles", "cookies", "stamps", "shells", "cards", "beads", "tickets"];
const GOODS = [["notebooks", "pens"], ["loaves of bread", "jars of jam"], ["shirts", "hats"], ["books", "maps"],
  ["plants", "pots"], ["cups of tea", "muffins"]] as const;

type Op = "+" | "-" | "*" | "/";

class Work {
  lines: string[] = [];
  calc(a: number, op: Op, b: number): number {
    const v = op === "+" ? a + b : op === "-" ? a - b : op === "*" ? a * b : a / b;
    if (!Number.isInteger(v) || v < 0) throw new Error(`arithmetic proxy: ${a} ${op} ${b} = ${v} is not a non-negative integer`);
    return v;
  }
  /** "<text before> a op b = <<a op b=v>>v <text after>" and the value */
  step(before: string, a: number, op: Op, b: number, after: string): number {
    const v = this.calc(a, op, b);
    const shown = op === "*" ? "*" : op;
    this.lines.push(`${before}${a} ${shown} ${b} = <<${a}${shown}${b}=${v}>>${v}${after}`);
    return v;
  }
}

interface Problem {
  question: string;
  work: Work;
  answer: number;
  /** the answer computed directly, for verification */
  direct: number;
}

type Template = (r: Rng) => Problem;

const between = (r: Rng, lo: number, hi: number) => lo + r.int(hi - lo + 1);
const pick = <T>(r: Rng, xs: readonly T[]) => xs[r.int(xs.length)];

const TEMPLATES: Record<string, Template> = {
  change(r) {
    const name = pick(r, NAMES);
    const [item] = pick(r, GOODS);
    const n = between(r, 2, 9);
    const p = between(r, 2, 12);
    const cost = n * p;
    const bill = Math.ceil((cost + 1) / 10) * 10 + (r.int(2) ? 10 : 0);
    const w = new Work();
    const c = w.step(`${n} ${item} cost `, n, "*", p, " dollars.");
    const ch = w.step(`The change is `, bill, "-", c, " dollars.");
    return { question: `${name} buys ${n} ${item} at $${p} each and pays with a $${bill} bill. How many dollars of change does ${name} get?`, work: w, answer: ch, direct: bill - n * p };
  },
  rate(r) {
    const rate = between(r, 6, 30);
    const h = between(r, 2, 9);
    const bad = between(r, 1, rate);
    const thing = pick(r, ["toys", "bottles", "bricks", "boxes", "buttons"]);
    const w = new Work();
    const total = w.step(`In ${h} hours the machine makes `, rate, "*", h, ` ${thing}.`);
    const good = w.step(`The good ones are `, total, "-", bad, ` ${thing}.`);
    return { question: `A machine makes ${rate} ${thing} every hour. After ${h} hours, ${bad} of the ${thing} are found to be broken. How many good ${thing} did the machine make?`, work: w, answer: good, direct: rate * h - bad };
  },
  share(r) {
    const name = pick(r, NAMES);
    const thing = pick(r, THINGS);
    const k = between(r, 2, 8);
    const q = between(r, 3, 15);
    const g = between(r, 1, q - 1);
    const total = k * q;
    const w = new Work();
    const each = w.step(`Each friend gets `, total, "/", k, ` ${thing}.`);
    const left = w.step(`After giving some away, each friend has `, each, "-", g, ` ${thing}.`);
    return { question: `${name} shares ${total} ${thing} equally among ${k} friends. Each friend then gives ${g} ${thing} to a neighbour. How many ${thing} does each friend have now?`, work: w, answer: left, direct: total / k - g };
  },
  addsub(r) {
    const [a1, a2] = [pick(r, NAMES), pick(r, NAMES)];
    const other = a1 === a2 ? NAMES[(NAMES.indexOf(a1) + 1) % NAMES.length] : a2;
    const thing = pick(r, THINGS);
    const a = between(r, 20, 90);
    const b = between(r, 5, a - 5);
    const c = between(r, 3, 40);
    const w = new Work();
    const x = w.step(`After giving some away, ${a1} has `, a, "-", b, ` ${thing}.`);
    const y = w.step(`After buying more, ${a1} has `, x, "+", c, ` ${thing}.`);
    return { question: `${a1} had ${a} ${thing}. ${a1} gave ${b} of them to ${other} and then bought ${c} more. How many ${thing} does ${a1} have now?`, work: w, answer: y, direct: a - b + c };
  },
  twoItems(r) {
    const name = pick(r, NAMES);
    const [g1, g2] = pick(r, GOODS);
    const p1 = between(r, 2, 15);
    const p2 = between(r, 2, 15);
    const a = between(r, 2, 8);
    const b = between(r, 2, 8);
    const w = new Work();
    const c1 = w.step(`The ${g1} cost `, a, "*", p1, " dollars.");
    const c2 = w.step(`The ${g2} cost `, b, "*", p2, " dollars.");
    const t = w.step(`Altogether ${name} spends `, c1, "+", c2, " dollars.");
    return { question: `A shop sells ${g1} for $${p1} each and ${g2} for $${p2} each. ${name} buys ${a} ${g1} and ${b} ${g2}. How many dollars does ${name} spend?`, work: w, answer: t, direct: a * p1 + b * p2 };
  },
  ages(r) {
    const name = pick(r, NAMES);
    const rel = pick(r, ["aunt", "uncle", "grandmother", "grandfather", "teacher", "neighbour"]);
    const a = between(r, 4, 16);
    const k = between(r, 2, 5);
    const y = between(r, 2, 12);
    const w = new Work();
    const now = w.step(`${name}'s ${rel} is `, a, "*", k, " years old.");
    const later = w.step(`In ${y} years the ${rel} will be `, now, "+", y, " years old.");
    return { question: `${name} is ${a} years old. ${name}'s ${rel} is ${k} times as old as ${name}. How old will the ${rel} be in ${y} years?`, work: w, answer: later, direct: a * k + y };
  },
  fraction(r) {
    const den = pick(r, [2, 3, 4, 5]);
    const num = between(r, 1, den - 1);
    const m = between(r, 3, 9);
    const n = den * m;
    const w = new Work();
    const part = w.step(`One part is `, n, "/", den, " students.");
    const bus = w.step(`The bus riders are `, part, "*", num, " students.");
    const walk = w.step(`The others are `, n, "-", bus, " students.");
    return { question: `A class has ${n} students. ${num} out of every ${den} students ride the bus to school. How many students do not ride the bus?`, work: w, answer: walk, direct: n - (n / den) * num };
  },
  travel(r) {
    const v = between(r, 20, 70);
    const t = between(r, 2, 5);
    const u = between(r, 10, 60);
    const s = between(r, 1, 4);
    const w = new Work();
    const d1 = w.step(`First the train travels `, v, "*", t, " km.");
    const d2 = w.step(`Then it travels `, u, "*", s, " km.");
    const d = w.step(`In total it travels `, d1, "+", d2, " km.");
    return { question: `A train travels at ${v} km per hour for ${t} hours, then at ${u} km per hour for ${s} hours. How many kilometres does it travel in total?`, work: w, answer: d, direct: v * t + u * s };
  },
  savings(r) {
    const name = pick(r, NAMES);
    const s = between(r, 3, 25);
    const wk = between(r, 3, 12);
    const e = between(r, 1, s * wk - 1);
    const w = new Work();
    const saved = w.step(`${name} saves `, s, "*", wk, " dollars.");
    const left = w.step(`${name} has `, saved, "-", e, " dollars left.");
    return { question: `${name} saves $${s} every week for ${wk} weeks and then spends $${e} on a present. How many dollars does ${name} have left?`, work: w, answer: left, direct: s * wk - e };
  },
  pages(r) {
    const name = pick(r, NAMES);
    const per = between(r, 5, 30);
    const d = between(r, 2, 9);
    const total = per * d + between(r, 10, 150);
    const w = new Work();
    const read = w.step(`${name} reads `, per, "*", d, " pages.");
    const rest = w.step(`There are `, total, "-", read, " pages left.");
    return { question: `A book has ${total} pages. ${name} reads ${per} pages a day for ${d} days. How many pages are left to read?`, work: w, answer: rest, direct: total - per * d };
  },
};

export const ARITHMETIC_TEMPLATES = Object.keys(TEMPLATES);

/** Evaluates "a op b" with integers; throws on anything else. */
function evalAnnotation(expr: string): number {
  const m = /^(\d+)([-+*/])(\d+)$/.exec(expr);
  if (!m) throw new Error(`arithmetic proxy: bad annotation "${expr}"`);
  const a = Number(m[1]);
  const b = Number(m[3]);
  return m[2] === "+" ? a + b : m[2] === "-" ? a - b : m[2] === "*" ? a * b : a / b;
}

/** Checks a GSM8K-format solution: every annotation's arithmetic, and the final "#### N" against the last one. */
export function verifySolution(solution: string, expected: number): void {
  const anns = [...solution.matchAll(/<<([^=>]+)=([^>]+)>>/g)];
  if (anns.length === 0) throw new Error("arithmetic proxy: a solution without calculations");
  for (const a of anns) {
    if (evalAnnotation(a[1]) !== Number(a[2])) throw new Error(`arithmetic proxy: ${a[1]} is not ${a[2]}`);
  }
  const final = /####\s*(-?\d+)\s*$/.exec(solution);
  if (!final || Number(final[1]) !== expected || Number(anns[anns.length - 1][2]) !== expected) {
    throw new Error(`arithmetic proxy: the final answer of "${solution}" is not ${expected}`);
  }
}

export function arithmeticProblem(seed: string): GenerateExample & { template: string; annotated: string } {
  const r = new Rng(seed);
  const names = ARITHMETIC_TEMPLATES;
  const template = names[r.int(names.length)];
  const p = TEMPLATES[template](r);
  if (p.answer !== p.direct) throw new Error(`arithmetic proxy (${template}): worked answer ${p.answer} ≠ direct ${p.direct}`);
  const annotated = `${p.work.lines.join("\n")}\n#### ${p.answer}`;
  verifySolution(annotated, p.direct);
  return {
    id: seed, prompt: `Question: ${p.question}\nAnswer:`, answer: String(p.answer),
    solution: " " + stripCalculatorAnnotations(annotated), template, annotated,
  };
}

export interface ArithmeticOptions {
  n?: number;
  fewshot?: number;
}

export function buildArithmetic(o: ArithmeticOptions = {}): GenerateTask {
  const strip = ({ template: _t, annotated: _a, ...e }: ReturnType<typeof arithmeticProblem>): GenerateExample => e;
  const examples = Array.from({ length: o.n ?? 250 }, (_, i) => strip(arithmeticProblem(`proxy-arith:test:${i}`)));
  const fewshot = Array.from({ length: o.fewshot ?? 32 }, (_, i) => strip(arithmeticProblem(`proxy-arith:train:${i}`)));
  const task = gsm8kTask("proxy-arith", "procedural arithmetic word problems with verified answers (GSM8K-like proxy)",
    "procedural (src/eval/proxies/arithmetic.ts)", examples, fewshot);
  return { ...task, proxyOf: "GSM8K", defaultShots: 3 };
}
