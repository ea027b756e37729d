import { GatewayError, gatewayError } from "../errors.js";

/** Store errors in admin operations: 503 store_unavailable (the cause goes to the log only). */
export function storeGuard(kind: string, onError?: (err: unknown) => void) {
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      onError?.(err);
      throw gatewayError("store_unavailable", { store: kind }, { headers: { "retry-after": "1" } });
    }
  };
}
