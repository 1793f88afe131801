import { planOrReuse, type ShownPlan } from "../../src/engine/plan-memo.ts";
import { closeProviders, type EngineOptions } from "../../src/engine/prepare-plan.ts";
import type { Plan } from "../../src/plan/types.ts";

/** The plan `gatehouse plan` shows for `options` (reused or computed), its providers closed. */
export async function shown(options: EngineOptions & { fresh?: boolean }): Promise<ShownPlan> {
  const result = await planOrReuse(options);
  await closeProviders(result.providers);
  return result;
}

/** A plan without what differs between runs of the same plan: the instant and the calls made. */
export function comparable(plan: Plan): unknown {
  return { ...plan, createdAt: "", providers: plan.providers.map((p) => ({ ...p, readCalls: 0 })) };
}
