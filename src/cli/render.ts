// `secretsource render -f source.yaml`: the Secret a SecretSource would produce, fetched through its
// provider with the user's kubeconfig and built by the operator's own code (provider resolution with
// its namespace rules, the client, collectData, buildSecretContent). Nothing is written: not the
// Secret, not the backend (a spec.generate value that does not exist yet is shown as such). Values
// are redacted unless --show-values.
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import {
  GROUP,
  parseSecretSource,
  resolveSecretSourceSpec,
  VERSION,
  type SecretSource,
} from '../api/v1alpha1/index.js';
import { collectData } from '../controller/collect-data.js';
import { secretContentInput } from '../controller/content-input.js';
import { ProviderResolver } from '../controller/provider-resolver.js';
import { ProviderClientCache } from '../providers/client-cache.js';
import { KubernetesCredentialSource } from '../providers/credentials.js';
import { NotFoundError } from '../providers/errors.js';
import { providerFactories } from '../providers/index.js';
import { CoalescingReader } from '../providers/read-coalescer.js';
import { ProviderRegistry } from '../providers/registry.js';
import { buildSecretContent } from '../secrets/content.js';
import { parseManifests } from './manifests.js';
import type { CommandIo } from './validate.js';

export const RENDER_USAGE = `Usage: secretsource render -f FILE [-n NAMESPACE] [--show-values] [--kubeconfig PATH]

Shows the Secret a SecretSource would produce: fetched through its provider with your kubeconfig's
rights, built as the operator builds it. Writes nothing. Values are redacted unless --show-values.
  -f, --filename     the SecretSource manifest (the first SecretSource in it; - for standard input)
  -n, --namespace    namespace when the manifest names none (default: the kubeconfig context's)
      --show-values  print the values (base64, as in a Secret's data)
      --kubeconfig   kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
`;

interface RenderArgs {
  file: string;
  namespace?: string;
  showValues: boolean;
  kubeconfig?: string;
}

export async function renderCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseArgs(args, io);
  if (typeof parsed === 'number') return parsed;
  const kc = new k8s.KubeConfig();
  if (parsed.kubeconfig) kc.loadFromFile(parsed.kubeconfig);
  else kc.loadFromDefault();
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  const source = readSource(parsed, io, parsed.namespace ?? contextNamespace ?? 'default');
  const secret = await render(kc, source, new AbortController().signal);
  io.stdout(YAML.stringify(redacted(secret, parsed.showValues)));
  return 0;
}

function parseArgs(args: readonly string[], io: CommandIo): RenderArgs | number {
  const result: Partial<RenderArgs> & { showValues: boolean } = { showValues: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') {
      io.stdout(RENDER_USAGE);
      return 0;
    } else if (arg === '-f' || arg === '--filename') result.file = args[++i];
    else if (arg === '-n' || arg === '--namespace') result.namespace = args[++i];
    else if (arg === '--show-values') result.showValues = true;
    else if (arg === '--kubeconfig') result.kubeconfig = args[++i];
    else {
      io.stderr(`secretsource render: unknown argument ${JSON.stringify(arg)}\n${RENDER_USAGE}`);
      return 2;
    }
  }
  if (!result.file) {
    io.stderr(RENDER_USAGE);
    return 2;
  }
  return result as RenderArgs;
}

function readSource(args: RenderArgs, io: CommandIo, namespace: string): SecretSource {
  const file = args.file === '-' ? '<stdin>' : args.file;
  const { documents, errors } = parseManifests(file, io.readFile(args.file));
  if (errors.length > 0) throw new Error(`${errors[0]!.file}:${errors[0]!.line}: ${errors[0]!.message}`);
  const found = documents.find((d) => (d.object as { kind?: unknown })?.kind === 'SecretSource');
  if (!found) throw new Error(`${file}: no SecretSource in it`);
  const object = found.object as { metadata?: Record<string, unknown> };
  return parseSecretSource({
    ...object,
    metadata: { ...object.metadata, namespace: object.metadata?.['namespace'] ?? namespace },
  });
}

interface RenderedSecret {
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  type: string;
  data: Map<string, Buffer | undefined>;
}

async function render(
  kc: k8s.KubeConfig,
  source: SecretSource,
  signal: AbortSignal,
): Promise<RenderedSecret> {
  const { namespace } = source.metadata;
  const spec = resolveSecretSourceSpec(source);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const ref = spec.providerRef;
  const providerObject =
    ref.kind === 'SecretProvider'
      ? await custom.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: 'secretproviders',
          name: ref.name,
        })
      : await custom.getClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: 'clustersecretproviders',
          name: ref.name,
        });
  const namespaceObject =
    ref.kind === 'ClusterSecretProvider' ? await core.readNamespace({ name: namespace }) : undefined;
  const store = (entries: [string, unknown][]) => new Map(entries);
  // The operator's own resolution, over just the objects this SecretSource names.
  const resolver = new ProviderResolver({
    providers: store(ref.kind === 'SecretProvider' ? [[`${namespace}/${ref.name}`, providerObject]] : []),
    clusterProviders: store(ref.kind === 'ClusterSecretProvider' ? [[ref.name, providerObject]] : []),
    namespaces: store(namespaceObject ? [[namespace, namespaceObject]] : []),
  });
  const provider = resolver.resolve(ref, namespace);
  const clients = new ProviderClientCache({
    registry: new ProviderRegistry(providerFactories()),
    credentials: new KubernetesCredentialSource(core),
  });
  try {
    const client = await clients.acquire(provider, namespace, signal);
    const fetched = await collectData(spec, client, new CoalescingReader(), { fresh: true, signal });
    const missing: string[] = [];
    for (const entry of spec.generate) {
      try {
        const { path, property } = entry.remoteRef;
        const value = await client.get(property ? { path, property } : { path }, signal);
        fetched.data.push({ key: entry.key, value: value.value });
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        missing.push(entry.key);
      }
    }
    const configMapRef = spec.target.template?.configMapRef;
    const configMap = configMapRef
      ? {
          name: configMapRef.name,
          data: (await core.readNamespacedConfigMap({ namespace, name: configMapRef.name })).data ?? {},
        }
      : undefined;
    const live =
      spec.target.creationPolicy === 'Merge'
        ? await readSecret(core, namespace, spec.target.name)
        : undefined;
    const content = buildSecretContent(
      secretContentInput(spec, fetched, {
        liveType: live?.type,
        templateConfigMap: configMap,
        now: new Date(),
      }),
    );
    const data = new Map<string, Buffer | undefined>(content.data);
    for (const key of missing) data.set(key, undefined);
    return {
      metadata: {
        name: spec.target.name,
        namespace,
        labels: content.labels,
        annotations: content.annotations,
      },
      type: content.type,
      data,
    };
  } finally {
    await clients.closeAll();
  }
}

async function readSecret(
  core: k8s.CoreV1Api,
  namespace: string,
  name: string,
): Promise<k8s.V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ namespace, name });
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 404) return undefined;
    throw error;
  }
}

/** The Secret as YAML would show it; a value is only its size unless asked for. */
function redacted(secret: RenderedSecret, showValues: boolean): Record<string, unknown> {
  const data: Record<string, string> = {};
  for (const [key, value] of [...secret.data].sort(([a], [b]) => a.localeCompare(b))) {
    if (value === undefined) data[key] = '<not generated yet: the operator generates it on its first sync>';
    else data[key] = showValues ? value.toString('base64') : `<redacted: ${value.length} bytes>`;
  }
  return { apiVersion: 'v1', kind: 'Secret', metadata: secret.metadata, type: secret.type, data };
}
