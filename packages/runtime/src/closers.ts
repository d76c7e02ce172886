/**
 * What a process has opened, closed newest first: a start-up that fails half-way closes what it
 * had opened, and a normal stop closes in the reverse order of opening (the app before the
 * database it uses). One failing step is reported and does not stop the others.
 */
export class Closers {
  private readonly steps: { name: string; close: () => Promise<unknown> | unknown }[] = [];

  add(name: string, close: () => Promise<unknown> | unknown): void {
    this.steps.push({ name, close });
  }

  async closeAll(log: {
    debug(details: object, message: string): void;
    error(details: object, message: string): void;
  }): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        log.debug({ step: step.name }, 'closing');
        await step.close();
      } catch (error) {
        log.error({ err: error, step: step.name }, 'error while closing');
      }
    }
  }
}
