import type { ResolvedTarget } from '../../config/targets.ts';

const CAP_REASONS = new Set(['length', 'max_tokens', 'MAX_TOKENS']);

/**
 * A reasoning model can spend its whole output cap on hidden reasoning and end with no visible
 * content. For a model configured as one, that is a healthy answer; for any other it is not.
 */
export function allowReasoningSilence(target: ResolvedTarget): (finishReason: string | undefined) => boolean {
  return (finishReason) => target.model.reasoning && finishReason !== undefined && CAP_REASONS.has(finishReason);
}
