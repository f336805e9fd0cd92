/**
 * A worker thread of the local executor: loads the pipeline once, then runs the tasks the main thread sends
 * ({phase, rank}), reporting progress and the stats of each.
 */
import { parentPort, workerData } from "node:worker_threads";
import { prepare } from "./prepare.js";
import { runTask } from "./task.js";

interface Init {
  path: string;
  overrides: string[];
  worldSize: number;
}

const init = workerData as Init;
const p = prepare(init.path, init.overrides, init.worldSize);
const port = parentPort!;

port.on("message", (msg: { type: "task"; phase: number; rank: number } | { type: "exit" }) => {
  if (msg.type === "exit") {
    port.close();
    return;
  }
  runTask(p.pipeline, p.plan, p.phases, msg.phase, msg.rank, {
    progress: (docs, bytes) => port.postMessage({ type: "progress", phase: msg.phase, rank: msg.rank, docs, bytes }),
    log: (message) => port.postMessage({ type: "log", message }),
  }).then(
    (stats) => port.postMessage({ type: "done", phase: msg.phase, rank: msg.rank, stats }),
    (e: Error) => port.postMessage({ type: "error", phase: msg.phase, rank: msg.rank, name: e.name, message: e.message, stack: e.stack }),
  );
});
port.postMessage({ type: "ready" });
