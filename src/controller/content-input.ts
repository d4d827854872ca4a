// What buildSecretContent gets from a SecretSource's spec and what was fetched for it: one place,
// used by the reconciler and by `secretsource render`, so the preview is built exactly as the
// operator builds the Secret.
import type { ResolvedSecretSourceSpec } from '../api/v1alpha1/index.js';
import type { SecretContentInput, TemplateConfigMap } from '../secrets/content.js';
import type { Fetched } from './collect-data.js';

export function secretContentInput(
  spec: ResolvedSecretSourceSpec,
  fetched: Fetched,
  context: {
    /** The type of the live Secret, when there is one (a merged Secret keeps its type). */
    liveType: string | undefined;
    templateConfigMap: TemplateConfigMap | undefined;
    now: Date;
  },
): SecretContentInput {
  const target = spec.target;
  const merge = target.creationPolicy === 'Merge';
  return {
    // A merged Secret keeps the type it has (the type of a Secret cannot change).
    type: merge ? (context.liveType ?? target.type) : target.type,
    data: fetched.data,
    dataFrom: fetched.dataFrom,
    duplicateKeys: spec.duplicateKeys,
    template: target.template,
    templateConfigMap: context.templateConfigMap,
    dockerConfig: target.dockerConfig,
    labels: target.labels,
    annotations: target.annotations,
    now: context.now,
    merge,
  };
}
