// `secretsource validate`: offline checks of SecretSource and provider manifests, for CI before a
// GitOps tool applies them. Every check is the operator's own code, not a copy of it: the CRDs' own
// CEL rules, evaluated (api/v1alpha1/cel.ts), the schema and the CEL twins the operator parses with
// (parse.ts), the provider factories' spec rules (the registry), the refresh schedule,
// the Secret type and annotation rules, template syntax on the rendering engine, and the duplicate
// key rule of the key mapping. What needs the cluster or the backend (a provider that exists, a
// remote path, namespace labels) is left to the operator.
import {
  InvalidSpecError,
  parseClusterSecretProvider,
  parseSecretProvider,
  parseSecretSource,
  resolveSecretSourceSpec,
  type SecretSource,
} from '../api/v1alpha1/index.js';
import { crdRuleViolations } from '../api/v1alpha1/cel.js';
import { providerFactories } from '../providers/index.js';
import { resolveCredentialNamespace } from '../providers/credentials.js';
import { ProviderRegistry } from '../providers/registry.js';
import { ProviderError } from '../providers/errors.js';
import { validateRefreshTiming } from '../rotation/schedule.js';
import { mapFetchedData } from '../secrets/key-mapping.js';
import { checkAnnotationsAllowed, checkSecretType } from '../secrets/secret-types.js';
import { checkTemplateSyntax } from '../secrets/template-engine.js';
import { GROUP } from '../api/v1alpha1/names.js';
import { manifestFiles, parseManifests, type ManifestDocument } from './manifests.js';

const GROUP_PREFIX = `${GROUP}/`;

export interface Problem {
  file: string;
  line: number;
  /** `SecretSource payments/db`. */
  object: string;
  message: string;
}

export interface ValidationReport {
  /** Objects of our kinds that were checked. */
  checked: number;
  problems: Problem[];
}

export function validateDocuments(
  documents: readonly ManifestDocument[],
  options: { defaultNamespace?: string } = {},
): ValidationReport {
  const registry = new ProviderRegistry(providerFactories());
  const report: ValidationReport = { checked: 0, problems: [] };
  for (const document of documents) {
    const object = document.object as {
      apiVersion?: unknown;
      kind?: unknown;
      metadata?: Record<string, unknown>;
    };
    if (typeof object?.apiVersion !== 'string' || !object.apiVersion.startsWith(GROUP_PREFIX)) continue;
    report.checked++;
    const withNamespace = inNamespace(object, options.defaultNamespace ?? 'default');
    const label = `${String(object.kind)} ${objectName(withNamespace)}`;
    const problem = (message: string) =>
      report.problems.push({ file: document.file, line: document.line, object: label, message });
    const reported: string[] = [];
    try {
      reported.push(...check(withNamespace, registry).map((message) => withoutPrefix(message, label)));
    } catch (error) {
      reported.push(withoutPrefix(messageOf(error), label));
    }
    // The CRD's CEL rules as the API server runs them; what the twins already said is not repeated.
    for (const violation of crdRuleViolations(withNamespace))
      if (!reported.some((message) => message.includes(violation))) reported.push(violation);
    reported.forEach(problem);
  }
  return report;
}

function check(object: { kind?: unknown }, registry: ProviderRegistry): string[] {
  switch (object.kind) {
    case 'SecretSource':
      return checkSecretSource(parseSecretSource(object));
    case 'SecretProvider': {
      const provider = parseSecretProvider(object);
      const { name, namespace } = provider.metadata;
      registry.prepare(provider.spec, { kind: 'SecretProvider', name, namespace });
      return namespaceRuleProblems(provider.spec, namespace, `SecretProvider ${namespace}/${name}`);
    }
    case 'ClusterSecretProvider': {
      const provider = parseClusterSecretProvider(object);
      registry.prepare(provider.spec, { kind: 'ClusterSecretProvider', name: provider.metadata.name });
      return [];
    }
    default:
      return [`unknown kind ${JSON.stringify(object.kind)} in group ${GROUP}`];
  }
}

/**
 * The credential namespace rule (credentials.ts), applied offline to every reference a
 * SecretProvider's spec holds (`secretRef`, `serviceAccountRef`, `caRef`, ...): the operator applies
 * the same function when it builds the client.
 */
function namespaceRuleProblems(spec: unknown, namespace: string, provider: string): string[] {
  const problems: string[] = [];
  const visit = (value: unknown, path: string) => {
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      const where = `${path}.${key}`;
      const ref = child as { name?: unknown; namespace?: unknown };
      if (key.endsWith('Ref') && typeof ref?.name === 'string') {
        try {
          resolveCredentialNamespace({
            providerKind: 'SecretProvider',
            providerNamespace: namespace,
            ...(typeof ref.namespace === 'string' ? { refNamespace: ref.namespace } : {}),
            provider,
            what: where.slice(1),
          });
        } catch (error) {
          problems.push(messageOf(error));
        }
      }
      visit(child, where);
    }
  };
  visit(spec, '.spec');
  return problems;
}

/** What the reconciler checks before it fetches anything, and what can be known without a fetch. */
function checkSecretSource(source: SecretSource): string[] {
  const spec = resolveSecretSourceSpec(source);
  const problems: string[] = [];
  const attempt = (run: () => void) => {
    try {
      run();
    } catch (error) {
      problems.push(messageOf(error));
    }
  };
  attempt(() => validateRefreshTiming(spec.refresh));
  attempt(() => {
    if (spec.target.creationPolicy !== 'Merge') checkSecretType(spec.target.type);
  });
  attempt(() => checkAnnotationsAllowed(spec.target.annotations, 'target.annotations'));
  const template = spec.target.template;
  for (const [key, source] of Object.entries(template?.data ?? {}))
    attempt(() => checkTemplateSyntax(source, `target.template.data[${JSON.stringify(key)}]`));
  for (const [key, source] of Object.entries(template?.labels ?? {}))
    attempt(() => checkTemplateSyntax(source, `target.template.labels[${JSON.stringify(key)}]`));
  for (const [key, source] of Object.entries(template?.annotations ?? {}))
    attempt(() => checkTemplateSyntax(source, `target.template.annotations[${JSON.stringify(key)}]`));
  // Keys known without a fetch: data[] and generate[] (dataFrom keys come from the backend).
  const known = [
    ...spec.data.map((entry) => ({ key: entry.key, value: Buffer.alloc(0) })),
    ...spec.generate.flatMap((entry) => [
      { key: entry.key, value: Buffer.alloc(0) },
      ...(entry.keyPair ? [{ key: `${entry.key}.pub`, value: Buffer.alloc(0) }] : []),
    ]),
  ];
  attempt(() => mapFetchedData(known, [], { duplicateKeys: spec.duplicateKeys }));
  return problems;
}

function inNamespace<T extends { metadata?: Record<string, unknown>; kind?: unknown }>(
  object: T,
  fallback: string,
): T {
  if (object.kind === 'ClusterSecretProvider' || object.metadata?.['namespace']) return object;
  return { ...object, metadata: { ...object.metadata, namespace: fallback } };
}

function objectName(object: { metadata?: Record<string, unknown> }): string {
  const { name, namespace } = object.metadata ?? {};
  const text = typeof name === 'string' ? name : '(no name)';
  return typeof namespace === 'string' ? `${namespace}/${text}` : text;
}

/** Provider errors start with the provider they are about, which the output already names. */
function withoutPrefix(message: string, label: string): string {
  return message.startsWith(`${label}: `) ? message.slice(label.length + 2) : message;
}

function messageOf(error: unknown): string {
  if (error instanceof InvalidSpecError) return error.problems.join('; ');
  if (error instanceof ProviderError || error instanceof Error) return error.message;
  return String(error);
}

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (file: string) => string;
}

export const VALIDATE_USAGE = `Usage: secretsource validate -f FILE|DIR|- [-f ...] [-n NAMESPACE] [-o text|json]

Checks SecretSource, SecretProvider and ClusterSecretProvider manifests offline, with the operator's
own rules: schema and CEL rules, provider specs, schedules, Secret types, template syntax, duplicate
keys. Other kinds are skipped. Exit 0 when every object passes, 1 when one does not, 2 on bad usage.
  -f, --filename   a file, a directory (its *.yaml, *.yml, *.json) or - for standard input
  -n, --namespace  namespace for objects that name none (default: default)
  -o, --output     text (file:line: message, the default) or json
`;

export function validateCommand(args: readonly string[], io: CommandIo): number {
  const files: string[] = [];
  let namespace = 'default';
  let output = 'text';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => inline ?? args[++i];
    if (flag === '-h' || flag === '--help') {
      io.stdout(VALIDATE_USAGE);
      return 0;
    } else if (flag === '-f' || flag === '--filename') files.push(value() ?? '');
    else if (flag === '-n' || flag === '--namespace') namespace = value() ?? '';
    else if (flag === '-o' || flag === '--output') output = value() ?? '';
    else {
      io.stderr(`secretsource validate: unknown argument ${JSON.stringify(arg)}\n${VALIDATE_USAGE}`);
      return 2;
    }
  }
  if (files.length === 0 || files.includes('') || !['text', 'json'].includes(output) || namespace === '') {
    io.stderr(VALIDATE_USAGE);
    return 2;
  }
  let paths: string[];
  try {
    paths = manifestFiles(files);
  } catch (error) {
    io.stderr(`secretsource validate: ${(error as Error).message}\n`);
    return 2;
  }
  const documents: ManifestDocument[] = [];
  const problems: Problem[] = [];
  for (const file of paths) {
    const name = file === '-' ? '<stdin>' : file;
    const parsed = parseManifests(name, io.readFile(file));
    documents.push(...parsed.documents);
    problems.push(
      ...parsed.errors.map((e) => ({ file: e.file, line: e.line, object: '(YAML)', message: e.message })),
    );
  }
  const report = validateDocuments(documents, { defaultNamespace: namespace });
  const all = [...problems, ...report.problems];
  if (output === 'json') {
    io.stdout(`${JSON.stringify({ checked: report.checked, problems: all }, null, 2)}\n`);
  } else {
    for (const p of all) io.stdout(`${p.file}:${p.line}: ${p.object}: ${p.message}\n`);
    io.stderr(`${report.checked} objects checked, ${all.length} problems\n`);
  }
  return all.length === 0 ? 0 : 1;
}
