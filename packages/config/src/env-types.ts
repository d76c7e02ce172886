import { z } from 'zod';

const flag = () =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
    .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

/** `true/false/1/0/yes/no/on/off`, case-insensitive. */
export const envBoolean = (fallback: boolean) => flag().default(fallback);

/** Like `envBoolean`, but unset stays `undefined`: the code decides (e.g. from whether a person watches). */
export const envOptionalBoolean = () => flag().optional();

export const envPort = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const durationUnits = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as `250ms`, `20s`, `15m`, `12h`, `30d` (or bare milliseconds), parsed to milliseconds. */
export const envDuration = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .transform((value, ctx) => {
      const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
      if (!match) {
        ctx.addIssue({
          code: 'custom',
          message: `"${value}" is not a duration such as 500ms, 20s, 15m, 12h or 30d`,
        });
        return z.NEVER;
      }
      return Number(match[1]) * durationUnits[(match[2] ?? 'ms') as keyof typeof durationUnits];
    });

/** A comma-separated list; blanks are dropped. */
export const envList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );
