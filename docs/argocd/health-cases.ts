// The cases every Lua VM the health check is run in must pass (docs/argocd/health.lua): the
// samples of config/samples with Healthy, Degraded and Progressing statuses. docs/argocd/health.test.ts
// runs them in fengari (Lua 5.3), e2e/gitops/argocd-health.e2e.test.ts in gopher-lua (Lua 5.1, what
// Argo CD runs).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { HealthStatus } from './lua.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const samples = path.join(here, '../../config/samples');

/** Runs the health script on an object and returns what it reports. */
export type HealthRunner = (script: string, obj: unknown) => HealthStatus;

/** The sample object of each kind in config/samples (the first of its kind). */
function sample(kind: string): Record<string, unknown> & { metadata: Record<string, unknown> } {
  for (const file of [
    'secretsource.dev_v1alpha1_secretsource.yaml',
    'secretsource.dev_v1alpha1_secretprovider.yaml',
    'secretsource.dev_v1alpha1_clustersecretprovider.yaml',
  ]) {
    for (const doc of parseAllDocuments(readFileSync(path.join(samples, file), 'utf8'))) {
      const object = doc.toJSON() as { kind?: string; metadata: Record<string, unknown> };
      if (object.kind === kind) return object;
    }
  }
  throw new Error(`no ${kind} in config/samples`);
}

const ready = (status: string, reason: string, message: string, observedGeneration?: number) => ({
  type: 'Ready',
  status,
  reason,
  message,
  lastTransitionTime: '2026-12-01T00:00:00Z',
  ...(observedGeneration === undefined ? {} : { observedGeneration }),
});

const withStatus = (kind: string, generation: number, status?: Record<string, unknown>) => {
  const object = sample(kind);
  return {
    ...object,
    metadata: { ...object.metadata, generation },
    ...(status === undefined ? {} : { status }),
  };
};

/** Registers the health cases, each script run by `runHealthScript`. */
export function describeHealthCases(script: string, runHealthScript: HealthRunner): void {
  describe.each(['SecretSource', 'SecretProvider', 'ClusterSecretProvider'])('%s', (kind) => {
    it('is Healthy when Ready is True for the current generation', () => {
      const object = withStatus(kind, 3, {
        observedGeneration: 3,
        conditions: [ready('True', kind === 'SecretSource' ? 'Synced' : 'Valid', 'in sync', 3)],
      });
      expect(runHealthScript(script, object)).toEqual({ status: 'Healthy', message: 'in sync' });
    });

    it('is Degraded with the reason when Ready is False', () => {
      const object = withStatus(kind, 2, {
        observedGeneration: 2,
        conditions: [ready('False', 'AuthFailed', 'vault: permission denied', 2)],
      });
      expect(runHealthScript(script, object)).toEqual({
        status: 'Degraded',
        message: 'AuthFailed: vault: permission denied',
      });
    });

    it('is Progressing before the operator wrote any status', () => {
      expect(runHealthScript(script, withStatus(kind, 1)).status).toBe('Progressing');
      expect(runHealthScript(script, withStatus(kind, 1, {})).status).toBe('Progressing');
      expect(runHealthScript(script, withStatus(kind, 1, { conditions: [] })).status).toBe('Progressing');
    });

    it('is Progressing while Ready describes an older generation', () => {
      // A Ready=True of generation 1 says nothing about the spec of generation 2 (a Git change).
      const object = withStatus(kind, 2, {
        observedGeneration: 1,
        conditions: [ready('True', 'Synced', 'in sync', 1)],
      });
      expect(runHealthScript(script, object)).toEqual({
        status: 'Progressing',
        message: 'Waiting for the operator to sync generation 2',
      });
    });

    it('falls back to status.observedGeneration when the condition has none', () => {
      const stale = withStatus(kind, 5, {
        observedGeneration: 4,
        conditions: [ready('True', 'Synced', 'ok')],
      });
      expect(runHealthScript(script, stale).status).toBe('Progressing');
      const current = withStatus(kind, 5, {
        observedGeneration: 5,
        conditions: [ready('True', 'Synced', 'ok')],
      });
      expect(runHealthScript(script, current).status).toBe('Healthy');
    });

    it('is Progressing when Ready is Unknown', () => {
      const object = withStatus(kind, 1, { conditions: [ready('Unknown', 'Pending', 'starting', 1)] });
      expect(runHealthScript(script, object).status).toBe('Progressing');
    });

    it('looks only at the Ready condition', () => {
      const object = withStatus(kind, 1, {
        conditions: [
          { ...ready('False', 'Other', 'x', 1), type: 'Reconciling' },
          ready('True', 'Synced', 'ok', 1),
        ],
      });
      expect(runHealthScript(script, object)).toEqual({ status: 'Healthy', message: 'ok' });
    });
  });
}
