import { Cron } from 'croner';
import { z } from 'zod';
import { isDuration } from '../lib/durations.ts';

/** Field types shared by the config sections, each with a message that says what would be valid. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const slug = z.string().meta({ format: 'slug' }).refine((value) => SLUG_PATTERN.test(value), {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a valid slug (lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, at most 63 characters)`,
});

export const duration = z.string().meta({ format: 'duration' }).refine(isDuration, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a duration (a number and a unit: 250ms, 30s, 15m, 2h, 7d)`,
});

export const ratio = z.number({ error: 'must be a number between 0 and 1' }).min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

export const positiveInt = z.number({ error: 'must be a whole number' }).int('must be a whole number').positive('must be greater than 0');

export function isCronExpression(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true });
    return true;
  } catch {
    return false;
  }
}

export const cronExpression = z.string().meta({ format: 'cron' }).refine(isCronExpression, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a cron expression (5 or 6 fields, seconds first when 6: "*/30 * * * * *" is every 30 seconds, "*/5 * * * *" every 5 minutes)`,
});

export const httpUrl = z.string().meta({ format: 'uri' }).refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { error: (issue) => `${JSON.stringify(issue.input)} is not an http(s) URL (e.g. https://api.openai.com/v1)` },
);
