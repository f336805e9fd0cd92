/** The evaluation harness as a library: tasks, loaders, proxies, the model adapter, the sandbox and the callback. */
export * from "./types.js";
export { evaluateTask, evaluateTasks, primaryMetric, RESULTS_FORMAT, RESULTS_VERSION, type EvalResults, type ModelInfo } from "./harness.js";
export { ModelLM, type EvalLM, type GenerationOptions, type TextRequest, type PrefixToken } from "./lm/model-lm.js";
export { scoreTokenRequests, type TokenRequest, type TokenScore } from "./lm/scorer.js";
export { resolveTasks, loadFormat, FORMATS } from "./registry.js";
export { buildProxies, PROXY_NAMES, PROXY_SUMMARIES } from "./proxies/index.js";
export { writeProxies, excludeDocuments } from "./proxies/build.js";
export { EvalCallback, EVALUATION_SCHEMA, resolveEvaluationConfig, evalRecord, type EvaluationConfig } from "./callback.js";
export { openModel, evaluateCheckpoints } from "./compare.js";
export { resultsTable, compareTable, historyTable } from "./table.js";
export { passAtK, bitsPerByte } from "./metrics.js";
export { runInSandbox, runSandboxJobs, DEFAULT_LIMITS, type SandboxJob, type SandboxResult, type SandboxLimits } from "./sandbox/sandbox.js";
export { runSandboxJobsSync } from "./sandbox/sync.js";
export { sandboxCapabilities, describeProtections } from "./sandbox/probe.js";
