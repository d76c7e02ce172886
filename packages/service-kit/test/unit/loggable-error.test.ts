import { describe, expect, it } from 'vitest';
import { loggableError } from '../../src/loggable-error.js';

describe('loggableError', () => {
  it('drops the bind parameters of a failed query, keeping the query and the cause', () => {
    const cause = Object.assign(new Error('duplicate key'), { code: '23505' });
    const error = Object.assign(
      new Error('Failed query: insert into users values ($1, $2)\nparams: ann@example.com,$argon2id$secret'),
      {
        query: 'insert into users values ($1, $2)',
        params: ['ann@example.com', '$argon2id$secret'],
        cause,
      },
    );
    const logged = loggableError(error) as Error & {
      params?: unknown;
      query: string;
      cause: { code: string };
    };
    expect(logged.params).toBeUndefined();
    expect(logged.query).toBe('insert into users values ($1, $2)');
    expect(logged.message).not.toContain('$argon2id$secret');
    expect(logged.stack ?? '').not.toContain('$argon2id$secret');
    expect(logged.cause.code).toBe('23505');
  });

  it('leaves other errors alone', () => {
    const error = new Error('boom');
    expect(loggableError(error)).toBe(error);
  });
});
