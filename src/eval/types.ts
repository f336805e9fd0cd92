/**
 * The evaluation harness's vocabulary: the examples of each task kind, the task definitions that hold them, and
 * the result of evaluating one task. Every kind is evaluated by one file under tasks/; loaders/ turn published
 * benchmark files into these examples, proxies/ build offline stand-ins from text the project ships.
 */

export type TaskKind =
  | "loglikelihood"
  | "multiple_choice"
  | "cloze"
  | "generate"
  | "code"
  | "retrieval"
  | "perplexity";

export const TASK_KINDS: readonly TaskKind[] = [
  "loglikelihood", "multiple_choice", "cloze", "generate", "code", "retrieval", "perplexity",
];

/** Log-likelihood of a continuation given a context. */
export interface LoglikelihoodExample {
  id: string;
  context: string;
  continuation: string;
}

/** One context, several candidate continuations, one correct. */
export interface MultipleChoiceExample {
  id: string;
  context: string;
  choices: string[];
  /** index of the correct choice */
  gold: number;
  /** few-shot examples come only from the same group (MMLU: the subject) when set */
  group?: string;
  /** text before the shots of this example (overrides the task's; MMLU: the subject line) */
  preamble?: string;
}

/** A passage whose last word is to be predicted: `context` + `target` is the passage. */
export interface ClozeExample {
  id: string;
  context: string;
  /** the last word, with the whitespace that separates it from the context (" whale") */
  target: string;
}

/** A prompt answered by free generation; the answer is extracted from the generated text and compared. */
export interface GenerateExample {
  id: string;
  prompt: string;
  /** the reference answer, compared after extraction and normalization */
  answer: string;
  /** the full reference output (a worked solution), used when the example serves as a few-shot shot */
  solution?: string;
}

export type CodeLanguage = "javascript" | "python";

/**
 * A function to complete, with executable tests. The program that runs is assembled from the fields according
 * to `style` (sandbox/programs.ts):
 *   humaneval / js:  prompt + completion + test + check(entry_point)
 *   mbpp:            setup + completion + the assert lines of `test`
 */
export interface CodeExample {
  id: string;
  language: CodeLanguage;
  style: "humaneval" | "mbpp" | "js";
  prompt: string;
  canonical: string;
  test: string;
  entryPoint: string;
  setup?: string;
}

/** A needle hidden in a haystack: the question at the end asks for the needle's value. */
export interface RetrievalExample {
  id: string;
  /** haystack with the needle, then the question */
  context: string;
  /** the value, as it should follow the context (" 482913") */
  answer: string;
  /** the answer and distractors, each as a continuation of the context */
  candidates: string[];
  /** haystack length in tokens asked for, and the depth (0 = start, 1 = end) of the needle */
  length: number;
  depth: number;
}

/** A document whose perplexity and bits per byte count towards its domain. */
export interface PerplexityExample {
  id: string;
  text: string;
  domain: string;
}

/** How a generated text is turned into an answer. */
export type AnswerExtractor =
  | { type: "regex"; pattern: string; flags?: string; group?: number; fallback?: "last-number" | "none" }
  | { type: "function"; name: string; fn: (text: string) => string | null };

/** What every task definition carries. */
export interface TaskBase {
  name: string;
  description: string;
  /** where the examples came from (a file, or the proxy builder and its sources) */
  source: string;
  /** for offline proxies: the benchmark it imitates ("LAMBADA"); the task is never reported under that name */
  proxyOf?: string;
  /** shots when the user gives none (default 0) */
  defaultShots?: number;
  /** text between few-shot examples (default a blank line) */
  separator?: string;
  /** text before the shots (a task description) */
  preamble?: string;
}

export interface LoglikelihoodTask extends TaskBase {
  kind: "loglikelihood";
  examples: LoglikelihoodExample[];
  fewshot?: LoglikelihoodExample[];
}

export interface MultipleChoiceTask extends TaskBase {
  kind: "multiple_choice";
  examples: MultipleChoiceExample[];
  fewshot?: MultipleChoiceExample[];
}

export interface ClozeTask extends TaskBase {
  kind: "cloze";
  examples: ClozeExample[];
  fewshot?: ClozeExample[];
}

export interface GenerateTask extends TaskBase {
  kind: "generate";
  examples: GenerateExample[];
  fewshot?: GenerateExample[];
  /** generation stops at the first of these strings (not included) */
  stop: string[];
  maxTokens: number;
  extract: AnswerExtractor;
  /** how answers are normalized before exact match (default "number" when the answers are numbers, else "text") */
  normalize?: "number" | "text" | "exact";
}

export interface CodeTask extends TaskBase {
  kind: "code";
  examples: CodeExample[];
  stop: string[];
  maxTokens: number;
}

export interface RetrievalSpec {
  /** haystack lengths in tokens */
  lengths: number[];
  /** needle depths in [0, 1] */
  depths: number[];
  /** needles per (length, depth) cell */
  perCell: number;
  seed: number | string;
  /** sentences the haystack is built from, in order */
  sentences: string[];
  /** distractor values offered beside the answer when scoring by likelihood */
  distractors: number;
}

export interface RetrievalTask extends TaskBase {
  kind: "retrieval";
  /** examples are built at evaluation time, because lengths are counted in the model's tokens */
  spec: RetrievalSpec;
}

export interface PerplexityTask extends TaskBase {
  kind: "perplexity";
  examples: PerplexityExample[];
}

export type Task =
  | LoglikelihoodTask
  | MultipleChoiceTask
  | ClozeTask
  | GenerateTask
  | CodeTask
  | RetrievalTask
  | PerplexityTask;

/** Options that apply to every task of a run. */
export interface EvalOptions {
  /** few-shot examples per query (null = each task's default) */
  shots: number | null;
  /** evaluate only the first N examples (null = all) */
  limit: number | null;
  /** seed of few-shot selection and sampling */
  seed: number;
  /** code: samples per problem (1 = greedy) */
  samples: number;
  /** code: sampling temperature when samples > 1 */
  temperature: number;
  /** code: k values of pass@k (those ≤ samples are reported) */
  passK: number[];
  /** generation: override each task's maximum new tokens */
  maxTokens: number | null;
  /** code: time limit per program */
  timeoutMs: number;
  /** code: memory limit per program (MiB) */
  memoryMb: number;
  /** keep per-example predictions in the result */
  logSamples: boolean;
  /** called as examples complete (for progress) */
  onProgress?: (task: string, done: number, total: number) => void;
}

export const DEFAULT_EVAL_OPTIONS: EvalOptions = {
  shots: null, limit: null, seed: 1234, samples: 1, temperature: 0.8, passK: [1, 5, 10], maxTokens: null,
  timeoutMs: 5000, memoryMb: 256, logSamples: false,
};

/** The result of one task. Metrics are plain numbers (fractions in [0, 1] for accuracies). */
export interface TaskResult {
  task: string;
  kind: TaskKind;
  proxy_of: string | null;
  source: string;
  /** examples evaluated */
  n: number;
  shots: number;
  metrics: Record<string, number>;
  /** standard error of each mean metric, where defined */
  stderr: Record<string, number>;
  seconds: number;
  examples_per_s: number;
  /** kind-specific tables (retrieval lengths × depths, perplexity by domain, code statuses) */
  details?: Record<string, unknown>;
  /** per-example records when logSamples is on */
  samples?: Record<string, unknown>[];
  /** why the task did not run (e.g. no Python for a Python code task) */
  skipped?: string;
}
