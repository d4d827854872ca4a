// The one entry point the reconciler calls to turn fetched values and the
// spec into the Secret's type, data, labels and annotations. Pure: no I/O, no
// clock of its own (`now` is injected), no randomness, so the same inputs give
// the same bytes and the content hash stays stable across refreshes. Every
// check runs here, before anything is written; failures are SecretSpecError
// (reason InvalidSpec) or SecretTemplateError (reason InvalidTemplate).
import type {
  DeepReadonly,
  DockerConfig,
  DuplicateKeysPolicy,
  SecretTemplate,
} from '../api/v1alpha1/index.js';
import {
  buildDockerConfigJson,
  DOCKER_CFG_KEY,
  DOCKER_CONFIG_JSON_KEY,
  validateDockerCfg,
  validateDockerConfigJson,
} from './docker-config.js';
import { SecretSpecError } from './errors.js';
import {
  mapFetchedData,
  type FetchedDataEntry,
  type FetchedDataFrom,
  type ReplacedKey,
} from './key-mapping.js';
import { quoteKey, secretKeyProblem } from './keys.js';
import { mergeAnnotations, mergeLabels } from './metadata.js';
import { isPrivateKeyLabel, parsePem } from './pem.js';
import { checkAnnotationsAllowed, checkSecretType, SECRET_TYPE } from './secret-types.js';
import { MAX_SECRET_BYTES } from './target.js';
import { TemplateRenderer, type RenderBudget } from './template-engine.js';
import { buildTlsData, type CertificateInfo } from './tls.js';

export type { FetchedDataEntry, FetchedDataFrom, ReplacedKey } from './key-mapping.js';
export type { CertificateInfo } from './tls.js';

/** A ConfigMap named by spec.target.template.configMapRef, as the controller fetched it. */
export interface TemplateConfigMap {
  name: string;
  data: Readonly<Record<string, string>>;
}

export interface SecretContentInput {
  /** spec.target.type; for creationPolicy Merge, the live Secret's type. */
  type: string;
  /** spec.data[] in order, each with its fetched value. */
  data?: readonly FetchedDataEntry[];
  /** spec.dataFrom[] in order, each with the map it fetched. */
  dataFrom?: readonly FetchedDataFrom[];
  /** spec.duplicateKeys: a key produced twice is an error (the default) or the later entry wins. */
  duplicateKeys?: DuplicateKeysPolicy;
  template?: DeepReadonly<SecretTemplate>;
  /** Required when template.configMapRef is set. */
  templateConfigMap?: TemplateConfigMap;
  dockerConfig?: DeepReadonly<DockerConfig>;
  /** spec.target.labels and .annotations, as written. */
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
  /** For certificate expiry: the reconciler's clock. */
  now: Date;
  /** creationPolicy Merge: the Secret's other keys are not ours, so keys a type requires may be missing. */
  merge?: boolean;
  /** What rendering this build may do; a fresh RenderBudget by default (tests inject a clock). */
  renderBudget?: RenderBudget;
}

export interface SecretContent {
  type: string;
  data: Map<string, Buffer>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The leaf certificate of a kubernetes.io/tls Secret. */
  certificate?: CertificateInfo;
  /** Keys a later entry took over under duplicateKeys LastWins; absent when none was. */
  replacedKeys?: ReplacedKey[];
}

export function buildSecretContent(input: SecretContentInput): SecretContent {
  const { type, template } = input;
  const merge = input.merge ?? false;
  checkSecretType(type);
  checkAnnotationsAllowed(input.annotations ?? {}, 'target.annotations');

  const fetched = mapFetchedData(input.data ?? [], input.dataFrom ?? [], {
    duplicateKeys: input.duplicateKeys,
  });
  const renderer = new TemplateRenderer(
    fetched.values,
    input.renderBudget ? { budget: input.renderBudget } : {},
  );
  const dataTemplates = collectDataTemplates(template, input.templateConfigMap);

  // With data templates (or dockerConfig) the fetched values are inputs, and the
  // Secret holds only what the templates make: raw values are not copied along.
  let data = new Map<string, Buffer>();
  if (dataTemplates.size > 0 || input.dockerConfig) {
    for (const [key, { source, where }] of dataTemplates) {
      checkKey(key, where);
      data.set(key, renderer.renderData(source, where));
    }
  } else {
    for (const [key, value] of fetched.values) {
      checkKey(key, fetched.origins.get(key)!);
      data.set(key, value);
    }
  }

  if (input.dockerConfig) {
    if (type !== SECRET_TYPE.dockerConfigJson) {
      throw new SecretSpecError(
        `target.dockerConfig needs target.type ${SECRET_TYPE.dockerConfigJson}, not ${type}`,
      );
    }
    if (data.has(DOCKER_CONFIG_JSON_KEY)) {
      throw new SecretSpecError(
        `key ${DOCKER_CONFIG_JSON_KEY} is produced by both target.dockerConfig and a template`,
      );
    }
    const { registry, username, password, email } = input.dockerConfig;
    data.set(
      DOCKER_CONFIG_JSON_KEY,
      buildDockerConfigJson({
        registry,
        username: renderer.renderText(username, 'target.dockerConfig.username'),
        password: renderer.renderText(password, 'target.dockerConfig.password'),
        ...(email === undefined ? {} : { email: renderer.renderText(email, 'target.dockerConfig.email') }),
      }),
    );
  }

  const labels = mergeLabels({
    literal: input.labels ?? {},
    templated: renderAll(renderer, template?.labels, 'target.template.labels'),
  });
  const annotations = mergeAnnotations({
    literal: input.annotations ?? {},
    templated: renderAll(renderer, template?.annotations, 'target.template.annotations'),
  });
  checkAnnotationsAllowed(annotations, 'target.template.annotations');

  let certificate: CertificateInfo | undefined;
  switch (type) {
    case SECRET_TYPE.tls: {
      const tls = buildTlsData(data, { now: input.now, requireKeys: !merge });
      data = tls.data;
      certificate = tls.certificate;
      break;
    }
    case SECRET_TYPE.dockerConfigJson:
      requireKeys(type, data, [DOCKER_CONFIG_JSON_KEY], merge, 'all');
      if (data.has(DOCKER_CONFIG_JSON_KEY))
        validateDockerConfigJson(data.get(DOCKER_CONFIG_JSON_KEY)!, DOCKER_CONFIG_JSON_KEY);
      break;
    case SECRET_TYPE.dockerCfg:
      requireKeys(type, data, [DOCKER_CFG_KEY], merge, 'all');
      if (data.has(DOCKER_CFG_KEY)) validateDockerCfg(data.get(DOCKER_CFG_KEY)!, DOCKER_CFG_KEY);
      break;
    case SECRET_TYPE.basicAuth:
      requireKeys(type, data, ['username', 'password'], merge, 'any');
      break;
    case SECRET_TYPE.sshAuth:
      requireKeys(type, data, ['ssh-privatekey'], merge, 'all');
      if (data.has('ssh-privatekey')) checkSshPrivateKey(data.get('ssh-privatekey')!);
      break;
  }

  checkTotalSize(data);
  return {
    type,
    data,
    labels,
    annotations,
    ...(certificate ? { certificate } : {}),
    ...(fetched.replaced.length > 0 ? { replacedKeys: fetched.replaced } : {}),
  };
}

interface DataTemplate {
  source: string;
  where: string;
}

function collectDataTemplates(
  template: DeepReadonly<SecretTemplate> | undefined,
  configMap: TemplateConfigMap | undefined,
): Map<string, DataTemplate> {
  const templates = new Map<string, DataTemplate>();
  for (const [key, source] of Object.entries(template?.data ?? {})) {
    templates.set(key, { source, where: `target.template.data[${quoteKey(key)}]` });
  }
  const ref = template?.configMapRef;
  if (!ref) return templates;
  if (!configMap || configMap.name !== ref.name) {
    // The controller fetches the ConfigMap; reaching here without it is a wiring bug, reported plainly.
    throw new SecretSpecError(`target.template.configMapRef: ConfigMap ${ref.name} was not loaded`);
  }
  const keys = ref.items && ref.items.length > 0 ? ref.items : Object.keys(configMap.data).sort();
  for (const key of keys) {
    if (!Object.hasOwn(configMap.data, key)) {
      throw new SecretSpecError(
        `target.template.configMapRef: ConfigMap ${ref.name} has no key ${quoteKey(key)}`,
      );
    }
    if (templates.has(key)) {
      throw new SecretSpecError(
        `key ${quoteKey(key)} is produced by both target.template.data and ConfigMap ${ref.name}`,
      );
    }
    templates.set(key, { source: configMap.data[key]!, where: `ConfigMap ${ref.name} key ${quoteKey(key)}` });
  }
  return templates;
}

function renderAll(
  renderer: TemplateRenderer,
  templates: Readonly<Record<string, string>> | undefined,
  where: string,
): Record<string, string> {
  const rendered: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, source] of Object.entries(templates ?? {})) {
    rendered[key] = renderer.renderText(source, `${where}[${JSON.stringify(key)}]`);
  }
  return rendered;
}

function checkKey(key: string, origin: string): void {
  const problem = secretKeyProblem(key);
  if (problem) throw new SecretSpecError(`key ${quoteKey(key)} from ${origin} ${problem}`);
}

function requireKeys(
  type: string,
  data: ReadonlyMap<string, Buffer>,
  keys: readonly string[],
  merge: boolean,
  mode: 'all' | 'any',
): void {
  if (merge) return;
  const present = keys.filter((key) => data.has(key));
  const ok = mode === 'all' ? present.length === keys.length : present.length > 0;
  if (!ok) {
    const missing = keys.filter((key) => !data.has(key));
    throw new SecretSpecError(`${type} needs ${mode === 'all' ? missing.join(' and ') : keys.join(' or ')}`);
  }
}

function checkSshPrivateKey(value: Buffer): void {
  const blocks = parsePem(value.toString('utf8'), 'ssh-privatekey');
  if (!blocks.some((block) => isPrivateKeyLabel(block.label))) {
    throw new SecretSpecError('ssh-privatekey holds no PEM private key');
  }
}

function checkTotalSize(data: ReadonlyMap<string, Buffer>): void {
  let bytes = 0;
  let largest = '';
  let largestBytes = -1;
  for (const [key, value] of data) {
    bytes += key.length + value.length;
    if (value.length > largestBytes) [largest, largestBytes] = [key, value.length];
  }
  if (bytes > MAX_SECRET_BYTES) {
    throw new SecretSpecError(
      `the Secret would hold ${bytes} bytes of data, over the 1 MiB limit (largest key: ${quoteKey(largest)}, ${largestBytes} bytes)`,
    );
  }
}
