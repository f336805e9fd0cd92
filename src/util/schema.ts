/**
 * A small declarative validator for configuration objects read from YAML/JSON: unknown keys and bad values are
 * errors that name the key (with its path) and what is allowed. Used for model, optimizer, schedule and
 * training configs, so every config error reads the same way.
 */

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export type FieldSpec =
  | { kind: "number"; min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean; nullable?: boolean;
      default?: number | null; doc: string }
  | { kind: "boolean"; default?: boolean; doc: string }
  | { kind: "string"; default?: string; nullable?: boolean; doc: string }
  | { kind: "enum"; values: readonly string[]; default?: string; doc: string }
  | { kind: "object"; fields: Schema; optional?: boolean; doc: string }
  | { kind: "strings"; default?: string[]; minItems?: number; doc: string }
  | { kind: "any"; default?: unknown; doc: string };

export type Schema = Record<string, FieldSpec>;

function describe(spec: FieldSpec): string {
  switch (spec.kind) {
    case "number": {
      const parts: string[] = [spec.integer ? "an integer" : "a number"];
      if (spec.min !== undefined) parts.push(`${spec.exclusiveMin ? ">" : "≥"} ${spec.min}`);
      if (spec.max !== undefined) parts.push(`≤ ${spec.max}`);
      if (spec.nullable) parts.push("or null");
      return parts.join(" ");
    }
    case "boolean":
      return "true or false";
    case "string":
      return spec.nullable ? "a string or null" : "a string";
    case "enum":
      return `one of ${spec.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "object":
      return "an object";
    case "strings":
      return spec.minItems ? `a list of at least ${spec.minItems} strings` : "a list of strings";
    case "any":
      return "any value";
  }
}

/**
 * Checks `value` against `schema`, fills defaults, and returns a new object. `path` prefixes key names in
 * errors ("model.d_model"). Fields without a default are required.
 */
export function validate<T>(value: unknown, schema: Schema, path: string): T {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError(`${path || "config"} must be an object, got ${JSON.stringify(value)}`);
  }
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    if (!(key in schema)) {
      const allowed = Object.keys(schema).join(", ");
      throw new ConfigError(`unknown key "${join(path, key)}"; allowed keys here: ${allowed}`);
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    const where = join(path, key);
    const v = obj[key];
    if (v === undefined) {
      if (spec.kind === "object") {
        if (spec.optional) continue;
        out[key] = validate({}, spec.fields, where);
        continue;
      }
      if (!("default" in spec) || spec.default === undefined) {
        throw new ConfigError(`missing key "${where}": ${spec.doc} (${describe(spec)})`);
      }
      out[key] = spec.default;
      continue;
    }
    out[key] = checkField(v, spec, where);
  }
  return out as T;
}

function checkField(v: unknown, spec: FieldSpec, where: string): unknown {
  const bad = () =>
    new ConfigError(`bad value for "${where}": ${JSON.stringify(v)}; expected ${describe(spec)} (${spec.doc})`);
  switch (spec.kind) {
    case "number": {
      if (v === null && spec.nullable) return null;
      if (typeof v !== "number" || !Number.isFinite(v)) throw bad();
      if (spec.integer && !Number.isInteger(v)) throw bad();
      if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) throw bad();
      if (spec.max !== undefined && v > spec.max) throw bad();
      return v;
    }
    case "boolean":
      if (typeof v !== "boolean") throw bad();
      return v;
    case "string":
      if (v === null && spec.nullable) return null;
      if (typeof v !== "string") throw bad();
      return v;
    case "enum":
      if (typeof v !== "string" || !spec.values.includes(v)) throw bad();
      return v;
    case "object":
      return validate(v, spec.fields, where);
    case "strings":
      if (typeof v === "string") return [v];
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw bad();
      if (spec.minItems && v.length < spec.minItems) throw bad();
      return [...v];
    case "any":
      return v;
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Applies a dotted override such as "model.d_model=128" (value parsed as JSON when it parses, else a string). */
export function applyOverride(target: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new ConfigError(`bad override "${assignment}": expected key.path=value`);
  const keys = assignment.slice(0, eq).split(".");
  const raw = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  let node = target;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (next === undefined) node[k] = {};
    else if (next === null || typeof next !== "object" || Array.isArray(next)) {
      throw new ConfigError(`bad override "${assignment}": "${k}" is not an object`);
    }
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}
