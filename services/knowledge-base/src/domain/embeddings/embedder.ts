/** Turns texts into unit-length vectors; every embedder of a collection answers the same dimension. */
export interface Embedder {
  /** Provider and model, e.g. `local:local-hash-256`: vectors of different ids are never compared. */
  readonly id: string;
  embed(texts: string[]): Promise<number[][]>;
}

/** Scales a vector to unit length, so cosine similarity is a dot product. */
export function normalise(vector: number[]): number[] {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm);
  return norm === 0 ? vector : vector.map((x) => x / norm);
}
