import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { defineCommand, formatHelp, parseCommand, UsageError, type CommandSpec } from "../../src/cli/args.js";

const train = defineCommand({
  name: "pretrain train",
  summary: "train a model from a recipe",
  usage: "pretrain train [options] <recipe> [overrides...]",
  description: "Runs the curriculum phases of the recipe and writes checkpoints into the run directory.",
  options: {
    steps: { type: "integer", short: "s", description: "optimizer steps to run" },
    lr: { type: "number", default: 0.01, description: "peak learning rate" },
    shape: { type: "string", choices: ["linear", "cosine", "1-sqrt"], default: "1-sqrt", description: "decay shape" },
    "run-dir": { type: "string", valueName: "dir", description: "where checkpoints go" },
    resume: { type: "boolean", description: "continue from the newest checkpoint" },
    verbose: { type: "boolean", short: "v", default: true, description: "log more" },
    set: { type: "string", multiple: true, description: "override a config key (key=value)" },
    "batch-size": { type: "integer", choices: [8, 16, 32], default: 16, description: "sequences per step" },
    shift: { type: "number", description: "a value that may be negative" },
  },
  positionals: [
    { name: "recipe", description: "recipe YAML file" },
    { name: "overrides", description: "extra key=value overrides", required: false, variadic: true },
  ],
  examples: ["pretrain train recipes/demo.yaml --steps 100", "pretrain train r.yaml --set model.d_model=128"],
});

function usageError(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.equal(e.command, "pretrain train");
    return true;
  });
}

function parsed(argv: string[]) {
  const r = parseCommand(train, argv);
  assert.equal(r.help, false);
  if (r.help) throw new Error("unreachable");
  return r;
}

describe("parseCommand", () => {
  test("defaults and positionals", () => {
    const r = parsed(["demo.yaml"]);
    assert.deepEqual(r.values, {
      steps: undefined, lr: 0.01, shape: "1-sqrt", "run-dir": undefined, resume: false, verbose: true, set: [],
      "batch-size": 16, shift: undefined,
    });
    assert.deepEqual(r.positionals, { recipe: "demo.yaml", overrides: [] });
  });

  test("typed values from every spelling", () => {
    const r = parsed(["-s", "100", "--lr=3e-4", "--shape", "cosine", "--run-dir", "runs/a", "--resume", "--no-verbose",
      "r.yaml", "--set", "a=1", "--set=b=2", "x=1", "y=2", "--batch-size", "32"]);
    const v = r.values;
    // The declared types flow through: these assignments would not compile if they were wrong.
    const steps: number | undefined = v.steps;
    const lr: number = v.lr;
    const shape: "linear" | "cosine" | "1-sqrt" = v.shape;
    const set: string[] = v.set;
    const resume: boolean = v.resume;
    const recipe: string = r.positionals.recipe;
    // @ts-expect-error the values are precisely typed, not `any`: a number is not a string
    const wrong: string = v.lr;
    void wrong;
    const overrides: string[] = r.positionals.overrides;
    assert.deepEqual([steps, lr, shape, set, resume, recipe, overrides], [100, 3e-4, "cosine", ["a=1", "b=2"], true,
      "r.yaml", ["x=1", "y=2"]]);
    assert.equal(v["run-dir"], "runs/a");
    assert.equal(v.verbose, false);
    assert.equal(v["batch-size"], 32);
  });

  test("short flags group, a repeated option keeps the last value, -- ends options", () => {
    const r = parsed(["-vs", "5", "r.yaml", "--steps", "7", "--", "--not-an-option"]);
    assert.equal(r.values.steps, 7);
    assert.equal(r.values.verbose, true);
    assert.deepEqual(r.positionals.overrides, ["--not-an-option"]);
  });

  test("attached short values and a lone '-' value", () => {
    assert.equal(parsed(["r.yaml", "-s5"]).values.steps, 5);
    assert.equal(parsed(["r.yaml", "-vs7"]).values.steps, 7);
    assert.equal(parsed(["r.yaml", "--run-dir", "-"]).values["run-dir"], "-");
    assert.deepEqual(parsed(["r.yaml", "-"]).positionals.overrides, ["-"]);
  });

  test("negative numbers are accepted as values of numeric options", () => {
    assert.equal(parsed(["r.yaml", "--shift", "-3.5"]).values.shift, -3.5);
    assert.equal(parsed(["r.yaml", "--shift=-1"]).values.shift, -1);
  });

  test("--help and -h return the help text, even next to mistakes", () => {
    for (const argv of [["--help"], ["-h"], ["--bogus", "--help"], ["--steps", "abc", "-h"]]) {
      const r = parseCommand(train, argv);
      assert.equal(r.help, true);
      if (r.help) assert.equal(r.text, formatHelp(train));
    }
  });

  test("unknown options", () => {
    usageError(() => parseCommand(train, ["r.yaml", "--foo"]),
      "unknown option --foo for `pretrain train`; run `pretrain train --help`");
    usageError(() => parseCommand(train, ["r.yaml", "-x"]), /^unknown option -x for `pretrain train`/);
    usageError(() => parseCommand(train, ["r.yaml", "--step", "3"]), /unknown option --step \(did you mean --steps\?\)/);
    usageError(() => parseCommand(train, ["r.yaml", "--no-lr"]), /unknown option --no-lr/);
  });

  test("numbers are validated", () => {
    usageError(() => parseCommand(train, ["r.yaml", "--steps", "abc"]),
      "--steps must be an integer, got 'abc' for `pretrain train`; run `pretrain train --help`");
    usageError(() => parseCommand(train, ["r.yaml", "-s", "1.5"]), /^-s must be an integer, got '1.5'/);
    usageError(() => parseCommand(train, ["r.yaml", "--steps="]), /--steps must be an integer, got ''/);
    usageError(() => parseCommand(train, ["r.yaml", "--steps", "1e30"]), /must be an integer/);
    usageError(() => parseCommand(train, ["r.yaml", "--lr", "fast"]), /^--lr must be a number, got 'fast'/);
    usageError(() => parseCommand(train, ["r.yaml", "--lr", "Infinity"]), /must be a number/);
    assert.equal(parsed(["r.yaml", "--steps", "1e3"]).values.steps, 1000);
  });

  test("choices", () => {
    usageError(() => parseCommand(train, ["r.yaml", "--shape", "cos"]),
      /^--shape must be one of linear, cosine, 1-sqrt; got 'cos' for `pretrain train`/);
    usageError(() => parseCommand(train, ["r.yaml", "--batch-size", "12"]), /--batch-size must be one of 8, 16, 32; got '12'/);
  });

  test("missing values and values that look like options", () => {
    usageError(() => parseCommand(train, ["r.yaml", "--run-dir"]), /^--run-dir needs a value for/);
    usageError(() => parseCommand(train, ["r.yaml", "--run-dir", "--resume"]),
      /--run-dir needs a value but got the option '--resume' \(write --run-dir=--resume/);
    assert.equal(parsed(["r.yaml", "--run-dir=--odd"]).values["run-dir"], "--odd");
    usageError(() => parseCommand(train, ["r.yaml", "--resume=yes"]), /--resume does not take a value \(got 'yes'\)/);
  });

  test("positionals: missing required, too many", () => {
    usageError(() => parseCommand(train, []),
      "missing required argument <recipe> for `pretrain train`; run `pretrain train --help`");
    const one = defineCommand({
      name: "pretrain train", summary: "s", usage: "u", options: {},
      positionals: [{ name: "file", description: "f" }, { name: "out", description: "o", required: false }],
    });
    usageError(() => parseCommand(one, ["a", "b", "c"]), /^unexpected argument 'c' for `pretrain train`/);
    const r = parseCommand(one, ["a"]);
    assert.ok(!r.help && r.positionals.out === undefined && r.positionals.file === "a");
    const needsSome = defineCommand({
      name: "pretrain train", summary: "s", usage: "u", options: {},
      positionals: [{ name: "inputs", description: "i", variadic: true }],
    });
    usageError(() => parseCommand(needsSome, []), /missing required argument <inputs>/);
    const r2 = parseCommand(needsSome, ["a", "b"]);
    assert.ok(!r2.help);
    if (!r2.help) assert.deepEqual(r2.positionals.inputs, ["a", "b"]);
  });

  test("argv is not modified", () => {
    const argv = ["r.yaml", "--steps", "3"];
    parseCommand(train, argv);
    assert.deepEqual(argv, ["r.yaml", "--steps", "3"]);
  });
});

describe("spec checks (programmer mistakes)", () => {
  const base = { name: "x", summary: "s", usage: "x", positionals: [] };
  const bad = (spec: CommandSpec, re: RegExp) => assert.throws(() => parseCommand(spec, []), (e: unknown) =>
    e instanceof Error && !(e instanceof UsageError) && re.test(e.message));
  test("reserved, malformed and conflicting declarations", () => {
    bad({ ...base, options: { help: { type: "boolean", description: "" } } }, /--help is built in/);
    bad({ ...base, options: { "--x": { type: "boolean", description: "" } } }, /bad option name/);
    bad({ ...base, options: { a: { type: "boolean", short: "h", description: "" } } }, /used twice \(or is -h\)/);
    bad({ ...base, options: { a: { type: "boolean", short: "q", description: "" }, b: { type: "string", short: "q", description: "" } } },
      /-q is used twice/);
    bad({ ...base, options: { a: { type: "boolean", short: "ab", description: "" } } }, /one letter/);
    bad({ ...base, options: { a: { type: "integer", default: 1.5, description: "" } } }, /not of type integer/);
    bad({ ...base, options: { a: { type: "string", default: "z", choices: ["x"], description: "" } } }, /not among its choices/);
    bad({ ...base, options: { a: { type: "string", multiple: true, default: "x", description: "" } } }, /must be an array/);
    bad({ ...base, options: { a: { type: "float" as "number", description: "" } } }, /unknown type "float"/);
    bad({ ...base, options: {}, positionals: [{ name: "a", description: "", variadic: true }, { name: "b", description: "" }] },
      /only the last positional can be variadic/);
    bad({ ...base, options: {}, positionals: [{ name: "a", description: "", required: false }, { name: "b", description: "" }] },
      /required <b> follows an optional/);
  });
});

describe("formatHelp", () => {
  test("renders summary, usage, description, arguments, aligned options with defaults and choices, examples", () => {
    const text = formatHelp(train);
    assert.equal(text, [
      "train a model from a recipe",
      "",
      "Usage: pretrain train [options] <recipe> [overrides...]",
      "",
      "Runs the curriculum phases of the recipe and writes checkpoints into the run directory.",
      "",
      "Arguments:",
      "  <recipe>        recipe YAML file",
      "  <overrides>...  extra key=value overrides (zero or more)",
      "",
      "Options:",
      "  -s, --steps <int>       optimizer steps to run",
      "      --lr <number>       peak learning rate (default: 0.01)",
      "      --shape <value>     decay shape (choices: linear, cosine, 1-sqrt; default: 1-sqrt)",
      "      --run-dir <dir>     where checkpoints go",
      "      --resume            continue from the newest checkpoint",
      "  -v, --verbose           log more (default: true)",
      "      --set <value>       override a config key (key=value) (repeatable)",
      "      --batch-size <int>  sequences per step (choices: 8, 16, 32; default: 16)",
      "      --shift <number>    a value that may be negative",
      "  -h, --help              show this help and exit",
      "",
      "Examples:",
      "  pretrain train recipes/demo.yaml --steps 100",
      "  pretrain train r.yaml --set model.d_model=128",
      "",
    ].join("\n"));
  });

  test("long descriptions wrap under their column; no empty sections", () => {
    const spec = defineCommand({
      name: "x", summary: "s", usage: "x",
      options: { long: { type: "boolean", description: "word ".repeat(40).trim() } },
      positionals: [],
    });
    const text = formatHelp(spec);
    assert.ok(!text.includes("Arguments:"));
    assert.ok(!text.includes("Examples:"));
    const lines = text.split("\n");
    assert.ok(lines.every((l) => l.length <= 100), "lines fit in 100 columns");
    const first = lines.findIndex((l) => l.includes("--long"));
    assert.match(lines[first + 1], /^ +word/);
    assert.equal(lines[first + 1].indexOf("word"), lines[first].indexOf("word"));
  });
});
