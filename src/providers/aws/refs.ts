// How a RemoteRef names a Secrets Manager secret and one of its versions.
//
// `path` is the secret's name or ARN (full or partial), passed to AWS as the SecretId.
// `version` selects the version:
//   (unset)              the AWSCURRENT stage
//   versionId:<id>       that VersionId (any id AWS accepts, 32-64 characters)
//   stage:<label>        that staging label (for custom labels that look like a UUID)
//   <UUID>               that VersionId (the SDKs and the console create UUID version ids)
//   anything else        a staging label, e.g. AWSPREVIOUS, AWSPENDING or a custom label
import { InvalidRefError, type ErrorSubject } from '../errors.js';

export const CURRENT_STAGE = 'AWSCURRENT';

export type VersionSelector = { stage: string } | { versionId: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VERSION_ID = /^[\x21-\x7e]{32,64}$/;
const STAGE = /^[\x21-\x7e]{1,256}$/;

export function versionSelector(version: string | undefined, subject: ErrorSubject): VersionSelector {
  if (version === undefined || version === '') return { stage: CURRENT_STAGE };
  if (version.startsWith('versionId:')) {
    const versionId = version.slice('versionId:'.length);
    if (!VERSION_ID.test(versionId)) {
      throw new InvalidRefError(subject, 'version "versionId:<id>" needs an id of 32-64 visible characters');
    }
    return { versionId };
  }
  if (version.startsWith('stage:')) {
    const stage = version.slice('stage:'.length);
    if (!STAGE.test(stage)) {
      throw new InvalidRefError(subject, 'version "stage:<label>" needs a label of 1-256 visible characters');
    }
    return { stage };
  }
  if (UUID.test(version)) return { versionId: version };
  if (!STAGE.test(version)) {
    throw new InvalidRefError(subject, 'version must be a staging label or a version id without spaces');
  }
  return { stage: version };
}

export function isCurrent(selector: VersionSelector): boolean {
  return 'stage' in selector && selector.stage === CURRENT_STAGE;
}

/** The SecretId to send: a name or an ARN; rejected early when AWS could never accept it. */
export function secretIdOf(path: string, subject: ErrorSubject): string {
  if (path === '') throw new InvalidRefError(subject, 'the secret name must not be empty');
  if (path.length > 2048) throw new InvalidRefError(subject, 'the secret name or ARN is too long');
  if ([...path].some((char) => /\s/.test(char) || char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) {
    throw new InvalidRefError(subject, 'the secret name must not contain spaces or control characters');
  }
  return path;
}

/**
 * Whether a secret listed by AWS (name and ARN) is the one `id` names: the name, the full ARN, or a
 * partial ARN (the ARN without the random 6-character suffix AWS appends).
 */
export function secretIdMatches(id: string, secret: { name?: string; arn?: string }): boolean {
  if (id === secret.name || id === secret.arn) return true;
  const arn = secret.arn;
  return (
    arn !== undefined &&
    id.startsWith('arn:') &&
    arn.length === id.length + 7 &&
    arn.startsWith(id) &&
    arn[id.length] === '-'
  );
}
