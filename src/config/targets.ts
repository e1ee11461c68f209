import { parseDuration } from '../lib/durations.ts';
import type { Config, ModelConfig, ProviderConfig } from './schema.ts';

/**
 * A target is one provider × model pair with every setting resolved (model → provider →
 * defaults). Pure: the scheduler and the prober read these, never the raw config sections.
 */
export interface ResolvedTarget {
  key: string;
  providerSlug: string;
  providerName: string;
  modelSlug: string;
  modelName: string;
  /** The model id the provider expects in its API. */
  providerModelId: string;
  schedule: string;
  timeouts: { connectMs: number; firstTokenMs: number; totalMs: number };
  prompt: string;
  maxTokensParam: 'max_completion_tokens' | 'max_tokens';
  maxOutputTokens: number;
  provider: ProviderConfig;
  model: ModelConfig;
}

export function targetKey(providerSlug: string, modelSlug: string): string {
  return `${providerSlug}/${modelSlug}`;
}

/** A provider of kind http probes one URL; with no model listed, it gets one named after itself. */
export function providerModels(provider: ProviderConfig): ModelConfig[] {
  if (provider.models.length > 0) return [...provider.models];
  if (provider.kind === 'http') return [{ slug: provider.slug, reasoning: false }];
  return [];
}

export function resolveTargets(config: Config): ResolvedTarget[] {
  const out: ResolvedTarget[] = [];
  for (const provider of config.providers) {
    for (const model of providerModels(provider)) {
      const t = { ...config.defaults.timeouts, ...provider.timeouts };
      out.push({
        key: targetKey(provider.slug, model.slug),
        providerSlug: provider.slug,
        providerName: provider.name ?? provider.slug,
        modelSlug: model.slug,
        modelName: model.name ?? model.slug,
        providerModelId: model.id ?? model.slug,
        schedule: model.schedule ?? provider.schedule ?? config.defaults.schedule,
        timeouts: {
          connectMs: parseDuration(t.connect) ?? 5000,
          firstTokenMs: parseDuration(t.first_token) ?? 30_000,
          totalMs: parseDuration(t.total) ?? 60_000,
        },
        prompt: config.defaults.prompt,
        maxTokensParam: provider.max_tokens_param ?? config.defaults.max_tokens_param,
        maxOutputTokens: model.max_output_tokens ?? (model.reasoning ? 16 : 1),
        provider,
        model,
      });
    }
  }
  return out;
}
