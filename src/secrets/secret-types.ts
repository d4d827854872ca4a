// Which Secret types the operator writes, and what each must hold. A type or
// annotation that would make the API server mint credentials is refused
// before anything is fetched or written: a SecretSource must never become a
// way to obtain a ServiceAccount or bootstrap token.
import { FORBIDDEN_SECRET_TYPES } from '../api/v1alpha1/index.js';
import { SecretSpecError } from './errors.js';

export const SECRET_TYPE = {
  opaque: 'Opaque',
  tls: 'kubernetes.io/tls',
  dockerConfigJson: 'kubernetes.io/dockerconfigjson',
  dockerCfg: 'kubernetes.io/dockercfg',
  basicAuth: 'kubernetes.io/basic-auth',
  sshAuth: 'kubernetes.io/ssh-auth',
} as const;

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(SECRET_TYPE));
const WHY_FORBIDDEN: Readonly<Record<string, string>> = {
  'kubernetes.io/service-account-token':
    'the API server fills Secrets of this type with a ServiceAccount token',
  'bootstrap.kubernetes.io/token': 'bootstrap tokens let nodes join the cluster',
};
/** Namespaces of types the Kubernetes project defines; an unknown type there is a typo or a new privileged type. */
const RESERVED_TYPE_DOMAINS = ['kubernetes.io/', 'k8s.io/', 'bootstrap.kubernetes.io/'];
const CUSTOM_TYPE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?(\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Annotations that make the token controller treat a Secret as a ServiceAccount's. */
const TOKEN_ANNOTATION_PREFIX = 'kubernetes.io/service-account.';

export function checkSecretType(type: string): void {
  if ((FORBIDDEN_SECRET_TYPES as readonly string[]).includes(type)) {
    throw new SecretSpecError(
      `target.type ${type} is refused: ${WHY_FORBIDDEN[type] ?? 'it grants access to the cluster'}`,
    );
  }
  if (KNOWN_TYPES.has(type)) return;
  if (type.length === 0 || type.length > 253 || !CUSTOM_TYPE.test(type)) {
    throw new SecretSpecError(`target.type ${JSON.stringify(type.slice(0, 64))} is not a valid Secret type`);
  }
  if (RESERVED_TYPE_DOMAINS.some((domain) => type.startsWith(domain))) {
    throw new SecretSpecError(
      `target.type ${type} is not supported; use Opaque, ${[...KNOWN_TYPES].filter((t) => t !== 'Opaque').join(', ')} or a type of your own domain`,
    );
  }
}

/** Refuses annotations that would make the API server mint a token into the Secret. */
export function checkAnnotationsAllowed(annotations: Readonly<Record<string, string>>, where: string): void {
  for (const key of Object.keys(annotations)) {
    if (key.startsWith(TOKEN_ANNOTATION_PREFIX)) {
      throw new SecretSpecError(
        `${where}: annotation ${key} is refused: it binds the Secret to a ServiceAccount's tokens`,
      );
    }
  }
}
