import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  baseEnv,
  ConfigError,
  databaseUrlFor,
  envBoolean,
  envDuration,
  envList,
  parseEnv,
} from '../../src/index.js';

describe('parseEnv', () => {
  const schema = z.object({
    PORT: z.coerce.number().int().default(8080),
    ENABLED: envBoolean(false),
    TIMEOUT: envDuration('30s'),
    ORIGINS: envList(''),
  });

  it('applies defaults and treats empty strings as unset', () => {
    expect(parseEnv(schema, { PORT: '' })).toEqual({
      PORT: 8080,
      ENABLED: false,
      TIMEOUT: 30_000,
      ORIGINS: [],
    });
  });

  it('parses booleans, durations and lists', () => {
    const env = parseEnv(schema, { ENABLED: 'Yes', TIMEOUT: '15m', ORIGINS: 'http://a, http://b,' });
    expect(env).toMatchObject({ ENABLED: true, TIMEOUT: 900_000, ORIGINS: ['http://a', 'http://b'] });
    expect(parseEnv(schema, { TIMEOUT: '250' }).TIMEOUT).toBe(250);
  });

  it('lists every problem at once', () => {
    try {
      parseEnv(schema, { PORT: 'abc', ENABLED: 'maybe', TIMEOUT: '5 minutes' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/PORT/);
      expect(problems).toMatch(/ENABLED/);
      expect(problems).toMatch(/TIMEOUT: "5 minutes" is not a duration/);
    }
  });

  it('gives every service working local defaults', () => {
    const env = parseEnv(baseEnv, {});
    expect(env.DATABASE_URL).toBe('postgres://postgres@localhost:5432/conduit');
    expect(env.BUS_NAMESPACE).toBe('');
    expect(() => parseEnv(baseEnv, { BUS_NAMESPACE: 'Bad.Name' })).toThrow(ConfigError);
  });

  it('prefers a service database URL over the shared one', () => {
    expect(databaseUrlFor('identity', { IDENTITY_DATABASE_URL: 'postgres://x/y' }, 'postgres://a/b')).toBe(
      'postgres://x/y',
    );
    expect(databaseUrlFor('knowledge-base', { KNOWLEDGE_BASE_DATABASE_URL: '' }, 'postgres://a/b')).toBe(
      'postgres://a/b',
    );
  });
});
