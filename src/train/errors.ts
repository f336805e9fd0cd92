/** The error the trainer raises for a run that cannot go on (divergence, bad resume or init); its message says what to do. */
export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingError";
  }
}
