import { resolveTargets, type ResolvedTarget } from '../config/targets.ts';
import { systemClock } from '../lib/clock.ts';
import { runProbe } from '../probe/run.ts';
import type { ProbeResult, RateLimitSnapshot } from '../probe/types.ts';
import { EXIT, UsageError, type Command } from './command.ts';
import { CONFIG_OPTIONS, configSource } from './config-source.ts';
import { snapshotView } from '../stats/metrics-object.ts';

/** The first thing to run when a provider looks wrong: one probe now, every number it measured. */
export const probeCommand: Command = {
  name: 'probe',
  summary: 'Probe a provider (or one of its models) now and print what was measured',
  help: `Usage: cappulse probe PROVIDER[/MODEL] [--config FILE] [--json]

Sends one probe to each model of PROVIDER (or just MODEL), exactly as serve would, and prints the
timings (ttfb, ttft, latency), the outcome class, the HTTP status, the provider's request id and
its rate-limit headers. Nothing is stored. Exit 0 when every probe succeeded, 1 otherwise.
  -c, --config FILE   config file (default ./cappulse.yaml, else the embedded example)
      --json          print the results as JSON`,
  options: { ...CONFIG_OPTIONS, json: { type: 'boolean' } },
  positionals: true,
  async run(values, positionals, io) {
    const [selector, ...extra] = positionals;
    if (selector === undefined || extra.length > 0) throw new UsageError('give one PROVIDER or PROVIDER/MODEL');
    const targets = pickTargets(resolveTargets(configSource(values).load()), selector);
    // Sequential: the probes of one provider should not compete with each other for its limits.
    const results: Array<{ target: ResolvedTarget; result: ProbeResult }> = [];
    for (const target of targets) results.push({ target, result: await runProbe(target, { clock: systemClock }) });
    if (values.json) io.out(JSON.stringify(results.map(({ target, result }) => ({ target: target.key, ...toJson(result) })), null, 2));
    else io.out(results.map(({ target, result }) => describe(target.key, result)).join('\n'));
    return results.every(({ result }) => result.ok) ? EXIT.ok : EXIT.failed;
  },
};

function pickTargets(all: ResolvedTarget[], selector: string): ResolvedTarget[] {
  const [provider, model] = selector.split('/', 2);
  const matches = all.filter((t) => t.providerSlug === provider && (model === undefined || t.modelSlug === model));
  if (matches.length > 0) return matches;
  const known = all.map((t) => t.key);
  throw new UsageError(`no target "${selector}" in the config${known.length > 0 ? ` (known: ${known.join(', ')})` : ' (it has no providers)'}`);
}

function toJson(result: ProbeResult) {
  return {
    ok: result.ok,
    error_class: result.errorClass,
    http_status: result.httpStatus,
    ttfb_ms: result.ttfbMs,
    ttft_ms: result.ttftMs,
    latency_ms: result.latencyMs,
    output_tokens: result.outputTokens,
    request_id: result.requestId,
    error_message: result.errorMessage,
    rate_limit: result.rateLimit && snapshotView(result.rateLimit),
    started_at: new Date(result.startedAt).toISOString(),
  };
}

const msText = (value: number | null) => (value === null ? '-' : `${Math.round(value)} ms`);

function describeRateLimit(rate: RateLimitSnapshot, now: number): string {
  const part = (name: string, remaining: number | null, limit: number | null, resetAt: number | null) =>
    remaining === null && limit === null ? null : `${name} ${remaining ?? '?'}/${limit ?? '?'}${resetAt === null ? '' : ` (resets in ${Math.max(0, Math.round((resetAt - now) / 100) / 10)} s)`}`;
  const parts = [
    part('requests', rate.requests_remaining, rate.requests_limit, rate.requests_reset_at),
    part('tokens', rate.tokens_remaining, rate.tokens_limit, rate.tokens_reset_at),
    rate.retry_after_ms === null ? null : `retry after ${rate.retry_after_ms / 1000} s`,
  ].filter((p): p is string => p !== null);
  return parts.join(', ');
}

function describe(key: string, result: ProbeResult): string {
  const outcome = result.ok ? 'ok' : `FAILED ${result.errorClass}`;
  const lines = [`${key}  ${outcome}  HTTP ${result.httpStatus ?? '-'}`];
  lines.push(`  ttfb ${msText(result.ttfbMs)}  ttft ${msText(result.ttftMs)}  latency ${msText(result.latencyMs)}  output tokens ${result.outputTokens ?? '-'}`);
  if (result.requestId) lines.push(`  request id ${result.requestId}`);
  if (result.errorMessage) lines.push(`  error: ${result.errorMessage}`);
  lines.push(`  rate limit: ${result.rateLimit ? describeRateLimit(result.rateLimit, result.startedAt) : 'none sent'}`);
  return lines.join('\n');
}
