import { describe, expect, it } from 'vitest';
import { float32Text, realArrayLiteral } from '../../src/domain/indexing/store-documents.js';

// An embedding's values go to Postgres as text; each must read back as exactly the float it was
// rounded to (Postgres parses a real the way Math.fround(Number(text)) does: to the nearest float).

const readBack = (text: string) => Math.fround(Number(text));

describe('float32Text', () => {
  it('writes every float so that it reads back as itself', () => {
    const bits = new Uint32Array(1);
    const float = new Float32Array(bits.buffer);
    let checked = 0;
    for (let i = 0; i < 200_000; i++) {
      bits[0] = Math.floor(Math.random() * 2 ** 32);
      if (!Number.isFinite(float[0]!)) continue;
      const x = float[0]!;
      if (readBack(float32Text(x)) !== x) expect.fail(`${x} written as ${float32Text(x)}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(190_000);
  });

  it('keeps the edges: powers of ten, the smallest and largest floats, signs and zero', () => {
    const edges = [
      1, -1, 0.1, 0.01, 10, 1e-8, 0.099999994, 9.9999994e-3, 1.401298464324817e-45, 1.1754943508222875e-38,
      3.4028234663852886e38, -3.4028234663852886e38,
    ].map(Math.fround);
    for (const x of edges) expect(readBack(float32Text(x)), `${x}`).toBe(x);
    expect(float32Text(0)).toBe('0');
    expect(float32Text(-0)).toBe('0');
    expect(float32Text(0.25)).toBe('2.5e-1');
  });

  it('rounds a double to single precision first', () => {
    const x = 0.1234567890123;
    expect(readBack(float32Text(x))).toBe(Math.fround(x));
  });
});

describe('realArrayLiteral', () => {
  it('is a Postgres array literal of the values', () => {
    expect(realArrayLiteral([0.5, -0.25, 0])).toBe('{5e-1,-2.5e-1,0}');
    expect(realArrayLiteral([])).toBe('{}');
  });
});
