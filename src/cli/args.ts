/**
 * A small command-line layer over `node:util` parseArgs: a command declares its options and positionals once
 * (with `defineCommand`, which keeps the literal types), and gets typed values, number checking, choices,
 * `--help`, `--no-<flag>` for booleans, and error messages that say which command and how to get help.
 *
 * parseArgs runs in non-strict token mode and every token is checked here, so all messages read the same way:
 *   unknown option --foo for `pretrain train`; run `pretrain train --help`
 */
import { parseArgs } from "node:util";

export type OptionType = "string" | "boolean" | "number" | "integer";

export interface OptionSpec {
  type: OptionType;
  /** One-letter alias ("s" for -s). */
  short?: string;
  default?: string | number | boolean | readonly (string | number | boolean)[];
  /** Repeatable: the value is an array of every occurrence. */
  multiple?: boolean;
  description: string;
  choices?: readonly (string | number)[];
  /** Placeholder shown in help ("<path>"); default from the type. */
  valueName?: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  /** Default true. Optional positionals must come after required ones. */
  required?: boolean;
  /** Collects every remaining argument; only the last positional can be variadic. */
  variadic?: boolean;
}

export interface CommandSpec {
  /** The full command as typed: "pretrain train". */
  name: string;
  summary: string;
  /** The usage line after "Usage: ", e.g. "pretrain train [options] <recipe>". */
  usage: string;
  description?: string;
  options: Readonly<Record<string, OptionSpec>>;
  positionals: readonly PositionalSpec[];
  examples?: readonly string[];
}

type Scalar<O extends OptionSpec> = O["type"] extends "boolean"
  ? boolean
  : O extends { choices: readonly (infer C)[] }
    ? C
    : O["type"] extends "string"
      ? string
      : number;

type OptionValue<O extends OptionSpec> = O extends { multiple: true }
  ? Scalar<O>[]
  : O["type"] extends "boolean"
    ? boolean
    : O extends { default: string | number }
      ? Scalar<O>
      : Scalar<O> | undefined;

export type OptionValues<S extends CommandSpec> = { -readonly [K in keyof S["options"]]: OptionValue<S["options"][K]> };

type PositionalValue<P extends PositionalSpec> = P extends { variadic: true }
  ? string[]
  : P extends { required: false }
    ? string | undefined
    : string;

export type PositionalValues<S extends CommandSpec> = {
  [P in S["positionals"][number] as P["name"]]: PositionalValue<P>;
};

export type ParseResult<S extends CommandSpec> =
  | { help: true; text: string }
  | { help: false; values: OptionValues<S>; positionals: PositionalValues<S> };

/** A mistake in the command line (not in the program): print the message and exit with status 2. */
export class UsageError extends Error {
  readonly command: string;
  constructor(command: string, problem: string) {
    super(`${problem}; run \`${command} --help\``);
    this.name = "UsageError";
    this.command = command;
  }
}

/** Returns the spec unchanged, with its literal types kept so parseCommand's result is precisely typed. */
export function defineCommand<const S extends CommandSpec>(spec: S): S {
  checkSpec(spec);
  return spec;
}

/** Parses `argv` (the arguments after the command name) against `spec`. Throws UsageError on bad input. */
export function parseCommand<const S extends CommandSpec>(spec: S, argv: readonly string[]): ParseResult<S> {
  checkSpec(spec);
  const config: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, o] of Object.entries(spec.options)) {
    config[name] = { type: o.type === "boolean" ? "boolean" : "string", ...(o.short ? { short: o.short } : {}) };
  }
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  // --help wins over any other problem on the line: someone asking for help should get it.
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return { help: true, text: formatHelp(spec) };

  const err = (problem: string) => new UsageError(spec.name, `${problem} for \`${spec.name}\``);
  const given = new Map<string, unknown[]>();
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === "positional") {
      positionals.push(t.value);
      continue;
    }
    if (t.kind !== "option") continue; // the "--" terminator
    let name = t.name;
    let o = spec.options[name] as OptionSpec | undefined;
    let negated = false;
    if (!o && name.startsWith("no-") && spec.options[name.slice(3)]?.type === "boolean") {
      name = name.slice(3);
      o = spec.options[name];
      negated = true;
    }
    if (!o) throw err(`unknown option ${t.rawName}${suggest(t.name, Object.keys(spec.options))}`);
    const flag = optionLabel(name, t.rawName);
    let value: unknown;
    if (o.type === "boolean") {
      if (t.value !== undefined) throw err(`${flag} does not take a value (got '${t.value}')`);
      value = !negated;
    } else {
      if (t.value === undefined) throw err(`${flag} needs a value`);
      // parseArgs takes the next argument as the value even when it looks like an option; accept that only
      // for negative numbers ("--shift -3") and a lone "-" (stdin/stdout by convention); otherwise it is almost
      // certainly a forgotten value.
      if (!t.inlineValue && t.value.startsWith("-") && t.value !== "-" &&
        !(isNumeric(o.type) && looksNumeric(t.value))) {
        throw err(`${flag} needs a value but got the option '${t.value}' (write ${flag}=${t.value} if that is the value)`);
      }
      value = convert(o, flag, t.value, err);
    }
    const list = given.get(name) ?? [];
    list.push(value);
    given.set(name, list);
  }

  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const list = given.get(name);
    if (o.multiple) values[name] = list ?? (o.default === undefined ? [] : [...(o.default as readonly unknown[])]);
    else if (list) values[name] = list[list.length - 1]; // a repeated option: the last one wins
    else values[name] = o.default ?? (o.type === "boolean" ? false : undefined);
  }

  const pos: Record<string, unknown> = {};
  let i = 0;
  for (const p of spec.positionals) {
    if (p.variadic) {
      const rest = positionals.slice(i);
      if (rest.length === 0 && p.required !== false) throw err(`missing required argument <${p.name}>`);
      pos[p.name] = rest;
      i = positionals.length;
    } else if (i < positionals.length) {
      pos[p.name] = positionals[i++];
    } else if (p.required !== false) {
      throw err(`missing required argument <${p.name}>`);
    } else {
      pos[p.name] = undefined;
    }
  }
  if (i < positionals.length) throw err(`unexpected argument '${positionals[i]}'`);
  return { help: false, values: values as OptionValues<S>, positionals: pos as PositionalValues<S> };
}

function isNumeric(type: OptionType): boolean {
  return type === "number" || type === "integer";
}

function looksNumeric(s: string): boolean {
  return s.trim() !== "" && Number.isFinite(Number(s));
}

function optionLabel(name: string, rawName: string): string {
  return rawName.startsWith("--") ? `--${name}` : rawName;
}

function convert(o: OptionSpec, flag: string, raw: string, err: (p: string) => UsageError): string | number {
  let v: string | number = raw;
  if (o.type === "number") {
    if (!looksNumeric(raw)) throw err(`${flag} must be a number, got '${raw}'`);
    v = Number(raw);
  } else if (o.type === "integer") {
    const n = Number(raw);
    if (!looksNumeric(raw) || !Number.isSafeInteger(n)) throw err(`${flag} must be an integer, got '${raw}'`);
    v = n;
  }
  if (o.choices && !o.choices.includes(v)) {
    throw err(`${flag} must be one of ${o.choices.join(", ")}; got '${raw}'`);
  }
  return v;
}

/** " (did you mean --steps?)" when a declared option is within two edits of the unknown one. */
function suggest(name: string, known: string[]): string {
  let best: string | null = null;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== null && name.length > 1 ? ` (did you mean --${best}?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Programmer mistakes in a spec are plain Errors, caught by any test that parses the command once. */
function checkSpec(spec: CommandSpec): void {
  const where = `command spec "${spec.name}"`;
  const shorts = new Set<string>(["h"]);
  for (const [name, o] of Object.entries(spec.options)) {
    if (name === "help") throw new Error(`${where}: --help is built in`);
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(name)) throw new Error(`${where}: bad option name "${name}"`);
    if (!["string", "boolean", "number", "integer"].includes(o.type)) {
      throw new Error(`${where}: option --${name} has unknown type "${String(o.type)}"`);
    }
    if (o.short !== undefined) {
      if (!/^[A-Za-z0-9]$/.test(o.short)) throw new Error(`${where}: --${name} short alias must be one letter`);
      if (shorts.has(o.short)) throw new Error(`${where}: short alias -${o.short} is used twice (or is -h)`);
      shorts.add(o.short);
    }
    if (o.choices && o.type === "boolean") throw new Error(`${where}: boolean --${name} cannot have choices`);
    if (o.default !== undefined) {
      const defaults = o.multiple ? (Array.isArray(o.default) ? o.default : null) : [o.default];
      if (defaults === null) throw new Error(`${where}: default of repeatable --${name} must be an array`);
      for (const d of defaults) {
        const ok = o.type === "boolean" ? typeof d === "boolean" : o.type === "string" ? typeof d === "string"
          : typeof d === "number" && (o.type === "number" || Number.isInteger(d));
        if (!ok) throw new Error(`${where}: default ${JSON.stringify(d)} of --${name} is not of type ${o.type}`);
        if (o.choices && !o.choices.includes(d as string | number)) {
          throw new Error(`${where}: default ${JSON.stringify(d)} of --${name} is not among its choices`);
        }
      }
    }
  }
  let sawOptional = false;
  spec.positionals.forEach((p, i) => {
    if (p.variadic && i !== spec.positionals.length - 1) {
      throw new Error(`${where}: only the last positional can be variadic (<${p.name}>)`);
    }
    if (p.required === false) sawOptional = true;
    else if (sawOptional) throw new Error(`${where}: required <${p.name}> follows an optional positional`);
  });
}

function placeholder(o: OptionSpec): string {
  if (o.valueName) return o.valueName.startsWith("<") ? o.valueName : `<${o.valueName}>`;
  return o.type === "integer" ? "<int>" : o.type === "number" ? "<number>" : "<value>";
}

const HELP_WIDTH = 100;

/** Renders the help text: summary, usage, description, arguments, options (aligned) and examples. */
export function formatHelp(spec: CommandSpec): string {
  const out: string[] = [spec.summary, "", `Usage: ${spec.usage}`];
  if (spec.description) out.push("", ...wrap(spec.description, HELP_WIDTH, ""));

  if (spec.positionals.length) {
    const rows = spec.positionals.map((p): [string, string] => {
      const notes = [p.required === false ? "optional" : "", p.variadic ? "one or more" : ""].filter(Boolean);
      if (p.variadic && p.required === false) notes.splice(0, 2, "zero or more");
      return [`<${p.name}>${p.variadic ? "..." : ""}`, p.description + (notes.length ? ` (${notes.join(", ")})` : "")];
    });
    out.push("", "Arguments:", ...table(rows));
  }

  const rows: [string, string][] = [];
  for (const [name, o] of Object.entries(spec.options)) {
    const flags = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.type === "boolean" ? "" : ` ${placeholder(o)}`}`;
    const notes: string[] = [];
    if (o.choices) notes.push(`choices: ${o.choices.join(", ")}`);
    const hasDefault = o.default !== undefined && !(Array.isArray(o.default) && o.default.length === 0);
    if (hasDefault) notes.push(`default: ${Array.isArray(o.default) ? o.default.join(", ") : String(o.default)}`);
    if (o.multiple) notes.push("repeatable");
    rows.push([flags, o.description + (notes.length ? ` (${notes.join("; ")})` : "")]);
  }
  rows.push(["-h, --help", "show this help and exit"]);
  out.push("", "Options:", ...table(rows));

  if (spec.examples?.length) out.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return out.join("\n") + "\n";
}

/** Two aligned columns; long descriptions wrap under their own column. */
function table(rows: [string, string][]): string[] {
  const left = Math.min(32, Math.max(...rows.map(([l]) => l.length)));
  const indent = " ".repeat(2 + left + 2);
  const lines: string[] = [];
  for (const [l, r] of rows) {
    if (l.length > left) {
      lines.push(`  ${l}`);
      lines.push(...wrap(r, HELP_WIDTH, indent));
    } else {
      const wrapped = wrap(r, HELP_WIDTH, indent);
      lines.push(`  ${l.padEnd(left)}  ${wrapped[0].slice(indent.length)}`, ...wrapped.slice(1));
    }
  }
  return lines;
}

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  for (const para of text.split("\n")) {
    let line = indent;
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line.length > indent.length && line.length + 1 + word.length > width) {
        lines.push(line);
        line = indent;
      }
      line += (line.length > indent.length ? " " : "") + word;
    }
    lines.push(line);
  }
  return lines;
}
