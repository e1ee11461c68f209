import type { ProviderKind } from '../../config/schema.ts';
import type { ProbeAdapter } from '../adapter.ts';
import { anthropicAdapter } from './anthropic.ts';
import { geminiAdapter } from './gemini.ts';
import { httpAdapter } from './http.ts';
import { openaiAdapter } from './openai.ts';

/** The one map from a provider's `kind` to its adapter; nothing else branches on kind. */
export const ADAPTERS: Readonly<Record<ProviderKind, ProbeAdapter>> = Object.freeze({
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
  http: httpAdapter,
});
