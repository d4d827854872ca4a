// Reads the bench makes while the API server is under load (or while another test re-applies a
// CRD, which resets that resource's watch cache: 429 "storage is (re)initializing") are retried
// instead of failing a run that took minutes to set up.
import * as k8s from '@kubernetes/client-node';

const TRANSIENT = new Set([429, 500, 502, 503, 504]);

/** Whether a failed call is worth repeating: an overloaded or restarting server, or a lost connection. */
export function isTransient(error: unknown): boolean {
  if (error instanceof k8s.ApiException) return TRANSIENT.has(error.code);
  return error instanceof TypeError || (error as { code?: unknown })?.code === 'ECONNRESET';
}

export async function retryTransient<T>(
  call: () => Promise<T>,
  options: { attempts?: number; delayMs?: number; onRetry?: (error: unknown) => void } = {},
): Promise<T> {
  const attempts = options.attempts ?? 30;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isTransient(error)) throw error;
      options.onRetry?.(error);
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 1_000));
    }
  }
}
