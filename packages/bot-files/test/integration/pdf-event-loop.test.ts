import { describe, expect, it } from 'vitest';
import { generatePdf } from '../../src/index.js';

// A timing bound, not a unit: the longest document GENERATE PDF allows (some 200 pages) takes
// seconds to draw, and on a busy machine more, so it runs with the slower tier and its own time.

describe('GENERATE PDF within limits', () => {
  it('the longest document allowed never holds the event loop for long', { timeout: 60_000 }, async () => {
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    try {
      const pdf = await generatePdf('{{line}}', { line: 'x'.repeat(1_000_000) });
      expect(pdf.pages).toBe(Math.ceil(Math.ceil(1_000_000 / 82) / 57));
    } finally {
      clearInterval(timer);
    }
    // Drawn in one go it held the loop for seconds; in turns, each a few milliseconds.
    expect(longest).toBeLessThan(750);
  });
});
