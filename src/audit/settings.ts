/** general_settings keys of the spend log (LiteLLM's names where it has them). */
export interface SpendLogSettings {
  /** disable_spend_logs: no records at all. */
  enabled: boolean;
  /** store_prompts_in_spend_logs (default false): records carry the prompt and the answer. */
  storePrompts: boolean;
  /** proxy_batch_write_at seconds, as ms (default 1 s; LiteLLM's is 10 s). */
  flushMs: number;
  batchSize: number;
  maxQueue: number;
  /** spend_logs_spill_dir (default ./meridian-spill). */
  spillDir: string;
  /** spend_logs_instance_id / MERIDIAN_INSTANCE_ID: a stable chain id across restarts; else one per start. */
  instanceId: string | undefined;
}

export interface RawSpendSettings {
  disable_spend_logs?: boolean;
  store_prompts_in_spend_logs?: boolean;
  proxy_batch_write_at?: number;
  spend_logs_batch_size?: number;
  spend_logs_max_queue?: number;
  spend_logs_spill_dir?: string;
  spend_logs_instance_id?: string;
}

export function spendLogSettings(gs: RawSpendSettings, env: NodeJS.ProcessEnv): SpendLogSettings {
  return {
    enabled: !(gs.disable_spend_logs ?? false),
    storePrompts: gs.store_prompts_in_spend_logs ?? false,
    flushMs: Math.max(10, Math.round((gs.proxy_batch_write_at ?? 1) * 1000)),
    batchSize: Math.min(2000, Math.max(1, Math.floor(gs.spend_logs_batch_size ?? 200))),
    maxQueue: Math.max(1, Math.floor(gs.spend_logs_max_queue ?? 10_000)),
    spillDir: gs.spend_logs_spill_dir ?? env.MERIDIAN_SPILL_DIR ?? "./meridian-spill",
    instanceId: gs.spend_logs_instance_id ?? (env.MERIDIAN_INSTANCE_ID || undefined),
  };
}
