/** What every sub-command module exports, and the options several commands share. */
import { getKernels, type Backend } from "../kernels/index.js";
import { parseCommand, type CommandSpec, type OptionValues, type PositionalValues } from "./args.js";
import type { Kernels } from "../kernels/types.js";

export interface Command {
  name: string;
  summary: string;
  /** runs with the arguments after the command name; returns the exit status */
  run(argv: string[]): Promise<number> | number;
}

export const BACKEND_OPTION = {
  type: "string",
  choices: ["native", "reference", "reference-f64"],
  default: "native",
  description: "kernel backend: the C kernels, or the TypeScript reference (slow; for checking)",
} as const;

export const THREADS_OPTION = {
  type: "integer",
  description: "threads for the native kernels (default: PRETRAIN_THREADS or all cores)",
} as const;

export const JSON_OPTION = {
  type: "boolean",
  description: "print the result as JSON on stdout",
} as const;

export function kernelsFor(backend: string, threads: number | undefined): Kernels {
  return getKernels(backend as Backend, threads ?? null);
}

/** Writes a line to stderr (human-readable messages; stdout is kept for results). */
export function note(message: string): void {
  process.stderr.write(message + "\n");
}

/** A command from its declaration and a handler of the parsed values (--help is answered here). */
export function cliCommand<const S extends CommandSpec>(name: string, spec: S,
  handler: (values: OptionValues<S>, positionals: PositionalValues<S>) => number | Promise<number>): Command {
  return {
    name,
    summary: spec.summary,
    run(argv) {
      const args = parseCommand(spec, argv);
      if (args.help) {
        process.stdout.write(args.text);
        return 0;
      }
      return handler(args.values, args.positionals);
    },
  };
}
