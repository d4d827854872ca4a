// spec.generate: rotation at the source. New values are written to the backend before anything
// depends on them (rotate-at-source.ts); this phase decides when, and records what rotated.
import type { ResolvedSecretSourceSpec } from '../../api/v1alpha1/index.js';
import { ROTATED_AT_ANNOTATION } from '../../api/v1alpha1/names.js';
import type { CachedProviderClient } from '../../providers/client-cache.js';
import { MIN_REFRESH_DELAY_MS, nextRefresh } from '../../rotation/schedule.js';
import type { FetchedDataEntry } from '../../secrets/content.js';
import { rotateAtSource } from '../rotate-at-source.js';
import { involved, type SyncContext } from './context.js';
import { SyncFailure } from './failure.js';

/** The generated keys' values, and the rotated-at mark the Secret keeps. */
export interface Rotation {
  entries: FetchedDataEntry[];
  rotatedAt?: string;
}

export async function rotate(ctx: SyncContext, client: CachedProviderClient): Promise<Rotation> {
  const { deps, key, source, spec, live, trigger, signal } = ctx;
  const previous = live?.metadata?.annotations?.[ROTATED_AT_ANNOTATION];
  if (spec.generate.length === 0) return { entries: [] };
  if (!client.write) {
    throw new SyncFailure('InvalidSpec', `spec.generate: ${client.description} cannot write secrets`);
  }
  const now = deps.clock.now();
  const due = trigger === 'force-sync' || (trigger === 'refresh-due' && rotationDue(spec, previous, now));
  let outcome;
  try {
    outcome = await rotateAtSource({ generate: spec.generate, client, live, due, signal });
  } catch (error) {
    deps.metrics?.rotation?.(client.providerType, 'error');
    throw error;
  }
  if (outcome.rotated.length === 0)
    return { entries: outcome.entries, ...(previous ? { rotatedAt: previous } : {}) };
  for (const { key: secretKey, path } of outcome.rotated) {
    deps.metrics?.rotation?.(client.providerType, 'rotated');
    deps.events.record(
      involved(source),
      'Normal',
      'Rotated',
      `Rotated ${secretKey}: a new value is stored at ${path}`,
    );
    deps.logger.info({ secretSource: key, key: secretKey, path }, 'rotated at the source');
  }
  return { entries: outcome.entries, rotatedAt: new Date(now).toISOString() };
}

/**
 * Whether the generated values are due for a new rotation: the refresh after the last one has come
 * (counted without jitter, so a jittered refresh is never skipped), or there was none yet.
 */
function rotationDue(spec: ResolvedSecretSourceSpec, rotatedAt: string | undefined, now: number): boolean {
  const last = rotatedAt ? Date.parse(rotatedAt) : NaN;
  if (Number.isNaN(last)) return true;
  const { jitter: _jitter, ...timing } = spec.refresh;
  return nextRefresh(timing, new Date(last), () => 0, new Date(last)).getTime() <= now + MIN_REFRESH_DELAY_MS;
}
