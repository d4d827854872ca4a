// kubernetes.io/dockerconfigjson: a registry credential, passed through from
// the backend (validated) or built from target.dockerConfig.
import { strictBase64 } from './decoding.js';
import { SecretSpecError } from './errors.js';

export const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';
export const DOCKER_CFG_KEY = '.dockercfg';

export interface DockerCredential {
  registry: string;
  username: string;
  password: string;
  email?: string;
}

/** The .dockerconfigjson for one registry; `auth` is base64(username:password) as docker writes it. */
export function buildDockerConfigJson(credential: DockerCredential): Buffer {
  const registry = credential.registry.trim();
  if (registry === '' || /\s/.test(registry)) {
    throw new SecretSpecError(
      'target.dockerConfig.registry must be a registry host without spaces, e.g. ghcr.io',
    );
  }
  if (credential.username === '') throw new SecretSpecError('target.dockerConfig.username renders empty');
  if (credential.password === '') throw new SecretSpecError('target.dockerConfig.password renders empty');
  // docker splits auth at the first colon: a colon in the user name would move part of it into the password.
  if (credential.username.includes(':')) {
    throw new SecretSpecError('target.dockerConfig.username renders a user name containing ":"');
  }
  const entry: Record<string, string> = {
    username: credential.username,
    password: credential.password,
    auth: Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64'),
  };
  if (credential.email !== undefined && credential.email !== '') entry['email'] = credential.email;
  return Buffer.from(JSON.stringify({ auths: { [registry]: entry } }), 'utf8');
}

/** Checks a fetched or templated .dockerconfigjson: a JSON object with an `auths` map of registry entries. */
export function validateDockerConfigJson(value: Buffer, where: string): void {
  const config = parseObject(value, where);
  const auths = config['auths'];
  if (!isObject(auths)) throw new SecretSpecError(`${where}: must hold an "auths" object`);
  validateRegistryEntries(auths, `${where} auths`);
}

/** The legacy .dockercfg: the registry map itself, without `auths`. */
export function validateDockerCfg(value: Buffer, where: string): void {
  validateRegistryEntries(parseObject(value, where), where);
}

function validateRegistryEntries(entries: Record<string, unknown>, where: string): void {
  for (const [registry, entry] of Object.entries(entries)) {
    const at = `${where} entry ${JSON.stringify(registry.slice(0, 64))}`;
    if (registry.trim() === '') throw new SecretSpecError(`${where}: a registry name is empty`);
    if (!isObject(entry)) throw new SecretSpecError(`${at} must be an object`);
    for (const field of ['username', 'password', 'auth', 'email']) {
      if (entry[field] !== undefined && typeof entry[field] !== 'string') {
        throw new SecretSpecError(`${at}: "${field}" must be a string`);
      }
    }
    const auth = entry['auth'];
    if (typeof auth === 'string' && auth !== '') {
      const decoded = strictBase64(auth, 'Base64');
      if (decoded === undefined || !decoded.includes(':')) {
        throw new SecretSpecError(`${at}: "auth" must be base64 of user:password`);
      }
    }
  }
}

function parseObject(value: Buffer, where: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    // JSON.parse quotes the input in its message; never pass it on.
    throw new SecretSpecError(`${where}: not valid JSON`);
  }
  if (!isObject(parsed)) throw new SecretSpecError(`${where}: must be a JSON object`);
  return parsed;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
