import { createRollupWriter } from '../store/rollups.ts';
import type { PipelineStage } from './pipeline.ts';

/** Folds each stored result into its minute and hour rollups, inside the result's transaction. */
export function createRollupStage(): PipelineStage {
  const writer = createRollupWriter();
  return {
    name: 'rollups',
    apply: (tx, target, stored) => writer.apply(tx, target.id, stored),
    rolledBack: (target) => writer.forget(target.id),
  };
}
