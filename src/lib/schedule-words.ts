import { Cron } from 'croner';

/** Common cron shapes in words, for `cappulse check`; anything else is shown as written. */
export function describeSchedule(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  const six = fields.length === 6 ? fields : ['0', ...fields];
  const [sec, min, hour, dom, mon, dow] = six;
  const rest = [dom, mon, dow].every((f) => f === '*');
  const every = (field: string | undefined) => (field === '*' ? 1 : /^\*\/(\d+)$/.exec(field ?? '')?.[1]);
  if (rest && hour === '*' && min === '*') {
    const n = every(sec);
    if (n) return n === 1 || n === '1' ? 'every second' : `every ${n} seconds`;
  }
  if (rest && hour === '*' && sec === '0') {
    const n = every(min);
    if (n) return n === 1 || n === '1' ? 'every minute' : `every ${n} minutes`;
  }
  if (rest && sec === '0' && min === '0') {
    const n = every(hour);
    if (n) return n === 1 || n === '1' ? 'every hour' : `every ${n} hours`;
  }
  return `cron "${expression}"`;
}

/** The next run times of a schedule, for showing what a cron expression really does. */
export function nextRuns(expression: string, count: number, from: Date = new Date()): Date[] {
  const job = new Cron(expression, { paused: true });
  return job.nextRuns(count, from);
}
