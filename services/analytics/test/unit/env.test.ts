import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/env.js';

describe('analytics settings', () => {
  it('records the five producing services by default, and any stream configuration names', () => {
    expect(loadEnv({}).ANALYTICS_STREAMS).toEqual([
      'identity',
      'conversation',
      'knowledge',
      'workflow',
      'email',
    ]);
    expect(loadEnv({ ANALYTICS_STREAMS: 'identity, billing' }).ANALYTICS_STREAMS).toEqual([
      'identity',
      'billing',
    ]);
    expect(loadEnv({ EVENT_RETENTION: '30d' }).EVENT_RETENTION).toBe(30 * 86_400_000);
  });

  it('keeps scheduled reports and alerts at least five minutes apart unless told', () => {
    expect(loadEnv({}).METRICS_MIN_SCHEDULE_GAP).toBe(5 * 60_000);
    expect(loadEnv({ METRICS_MIN_SCHEDULE_GAP: '2s' }).METRICS_MIN_SCHEDULE_GAP).toBe(2_000);
  });

  it('fails loudly on a stream name that is no service, or no stream at all', () => {
    expect(() => loadEnv({ ANALYTICS_STREAMS: 'Identity.>' })).toThrow();
    expect(() => loadEnv({ ANALYTICS_STREAMS: ' , ' })).toThrow();
  });
});
