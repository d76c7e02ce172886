import { z } from 'zod';
import { scopeKinds } from '../access/viewer-scope.js';
import { metricNames } from '../events/metrics.js';

export const metricSchema = z.enum(metricNames);
export const instant = z.iso.datetime({ offset: true });

/** Whose activity: mine (default), a team's I own or administer, my organization's, everyone's. */
export const scopeQuery = z.object({
  scope: z.enum(scopeKinds).default('me'),
  teamId: z.uuid().optional(),
  userId: z.uuid().optional(),
});

export const rangeQuery = z.object({ from: instant, to: instant });

/** `?metrics=a,b` (or repeated): a comma-separated list of metric names. */
export const metricList = z
  .union([z.string().max(2000), z.array(z.string().max(200)).max(100)])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(',')).map((m) => m.trim()).filter(Boolean),
  )
  .pipe(z.array(metricSchema).max(metricNames.length * 2));
