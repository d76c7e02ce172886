/**
 * Splits `items` into runs whose sizes add up to at most `limit` (an item larger goes alone): the
 * rows of one multi-row statement, so that a batch goes in few round trips while no statement's
 * parameters grow past what a string or a Postgres message can hold.
 */
export function inRuns<T>(items: T[], size: (item: T) => number, limit: number): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let total = 0;
  for (const item of items) {
    const n = size(item);
    if (run.length > 0 && total + n > limit) {
      runs.push(run);
      run = [];
      total = 0;
    }
    run.push(item);
    total += n;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
