import type { Clock } from '../lib/clock.ts';
import { createRollupWriter } from '../store/rollups.ts';
import type { PipelineStage } from './pipeline.ts';

/**
 * Folds each stored result into its minute and hour rollups, inside the result's transaction.
 * With the app's clock it can tell a fresh result from a late one (see createRollupWriter).
 */
export function createRollupStage(deps: { clock?: Clock } = {}): PipelineStage {
  const writer = createRollupWriter(deps.clock ? { now: () => deps.clock!.now() } : {});
  return {
    name: 'rollups',
    apply: (trx, target, stored) => writer.apply(trx, target.id, stored),
  };
}
