/**
 * The program that tests one completion of a code task, per style:
 *   js:        "use strict" + node:assert + prompt + completion + test + check(entry_point)     (main.cjs, Node)
 *   humaneval: prompt + completion + test + check(entry_point)                                 (main.py, Python)
 *   mbpp:      setup + completion + the assert lines                                           (main.py, Python)
 * Each program ends by printing a random marker: a run passes only if it exits with status 0 *and* printed the
 * marker, so a completion that exits early (process.exit(0), sys.exit(0)) does not pass its tests.
 */
import { randomBytes } from "node:crypto";
import type { CodeExample } from "../types.js";
import type { SandboxJob } from "./sandbox.js";

export interface CodeProgram {
  job: SandboxJob;
  marker: string;
}

export function programFor(id: string, ex: CodeExample, completion: string): CodeProgram {
  const marker = `__pretrain_tests_passed_${randomBytes(8).toString("hex")}__`;
  switch (ex.style) {
    case "js": {
      const code = `"use strict";\nconst assert = require("node:assert/strict");\n${ex.prompt}${completion}\n\n${ex.test}\n\n` +
        `check(${ex.entryPoint});\nconsole.log(${JSON.stringify(marker)});\n`;
      return { job: { id, runner: "node", files: { "main.cjs": code }, main: "main.cjs" }, marker };
    }
    case "humaneval": {
      const code = `${ex.prompt}${completion}\n\n${ex.test}\n\ncheck(${ex.entryPoint})\nprint(${JSON.stringify(marker)})\n`;
      return { job: { id, runner: "python", files: { "main.py": code }, main: "main.py" }, marker };
    }
    case "mbpp": {
      const code = `${ex.setup ?? ""}\n${completion}\n\n${ex.test}\n\nprint(${JSON.stringify(marker)})\n`;
      return { job: { id, runner: "python", files: { "main.py": code }, main: "main.py" }, marker };
    }
  }
}

export function runnerOf(ex: CodeExample): "node" | "python" {
  return ex.style === "js" ? "node" : "python";
}
