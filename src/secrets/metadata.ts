// Labels and annotations of the target Secret: the literal ones of
// spec.target and the rendered ones of spec.target.template, checked with the
// API server's rules so a bad one is reported with its name, not as a failed write.
import { SecretSpecError, SecretTemplateError } from './errors.js';

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** Why `key` is not a valid label or annotation key (a Kubernetes qualified name), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return 'has a prefix that is not a DNS subdomain';
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return 'must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
  }
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  return value.length <= 63 && NAME.test(value)
    ? undefined
    : 'must be empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
}

export interface MetadataSources {
  /** spec.target.labels or .annotations, as written. */
  literal: Readonly<Record<string, string>>;
  /** Rendered spec.target.template.labels or .annotations. */
  templated: Readonly<Record<string, string>>;
}

/** The Secret's labels: literal and templated ones, each key from one place only. */
export function mergeLabels(sources: MetadataSources): Record<string, string> {
  const labels = mergeMetadata(sources, 'label', 'labels');
  for (const [key, value] of Object.entries(labels)) {
    const problem = labelValueProblem(value);
    if (problem) {
      const error = Object.hasOwn(sources.templated, key) ? SecretTemplateError : SecretSpecError;
      throw new error(`${originOf(sources, key, 'labels')}: the value of label ${key} ${problem}`);
    }
  }
  return labels;
}

export function mergeAnnotations(sources: MetadataSources): Record<string, string> {
  const annotations = mergeMetadata(sources, 'annotation', 'annotations');
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations)) bytes += key.length + Buffer.byteLength(value);
  if (bytes > MAX_ANNOTATIONS_BYTES) {
    throw new SecretSpecError(`annotations would total ${bytes} bytes, over the API server's 256 KiB limit`);
  }
  return annotations;
}

function mergeMetadata(
  sources: MetadataSources,
  noun: string,
  field: 'labels' | 'annotations',
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries(sources.literal)) {
    const problem = qualifiedNameProblem(key);
    if (problem)
      throw new SecretSpecError(
        `target.${field}: ${noun} key ${JSON.stringify(key.slice(0, 64))} ${problem}`,
      );
    merged[key] = value;
  }
  for (const [key, value] of Object.entries(sources.templated)) {
    const problem = qualifiedNameProblem(key);
    if (problem) {
      throw new SecretSpecError(
        `target.template.${field}: ${noun} key ${JSON.stringify(key.slice(0, 64))} ${problem}`,
      );
    }
    if (Object.hasOwn(merged, key)) {
      throw new SecretSpecError(`${noun} ${key} is set by both target.${field} and target.template.${field}`);
    }
    merged[key] = value;
  }
  return merged;
}

function originOf(sources: MetadataSources, key: string, field: string): string {
  return Object.hasOwn(sources.templated, key)
    ? `target.template.${field}[${JSON.stringify(key)}]`
    : `target.${field}`;
}
