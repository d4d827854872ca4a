import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import {
  CredentialsUnavailableError,
  ThrottledError,
  UnauthorizedError,
  UnavailableError,
} from '../errors.js';
import type { ProviderCallStatus } from '../types.js';
import { BatchCallFailed, SdkSecretsManagerApi } from './api.js';
import { AccessDeniedError } from './error-map.js';
import { SdkStsApi } from './sts.js';

interface Answer {
  status?: number;
  body: string;
  headers?: Record<string, string>;
}

/** The SDK with its HTTP layer replaced: requests are recorded, answers are canned. */
function fakeHttp(answers: Answer[]) {
  const requests: Array<{ target: string | undefined; body: string }> = [];
  const requestHandler = {
    handle: (
      request: { headers: Record<string, string>; body?: unknown },
      options?: { abortSignal?: AbortSignal },
    ) => {
      const body =
        request.body instanceof Uint8Array
          ? Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString(
              'utf8',
            )
          : typeof request.body === 'string'
            ? request.body
            : '';
      requests.push({ target: request.headers['x-amz-target'], body });
      if (options?.abortSignal?.aborted) {
        const error = new Error('aborted');
        error.name = 'AbortError';
        return Promise.reject(error);
      }
      const answer = answers.shift() ?? { body: '{}' };
      return Promise.resolve({
        response: {
          statusCode: answer.status ?? 200,
          headers: { 'content-type': 'application/x-amz-json-1.1', ...answer.headers },
          body: new TextEncoder().encode(answer.body),
        },
      });
    },
  };
  return { requests, requestHandler };
}

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
const signal = (): AbortSignal => new AbortController().signal;
const leak = 'AWS-MESSAGE-WITH-INPUT';

function api(answers: Answer[], options: { credentials?: () => Promise<typeof credentials> } = {}) {
  const http = fakeHttp(answers);
  const calls: Array<[string, ProviderCallStatus]> = [];
  const client = new SecretsManagerClient({
    region: 'eu-west-1',
    maxAttempts: 1,
    credentials: options.credentials ?? credentials,
    requestHandler: http.requestHandler,
  });
  const wrapped = new SdkSecretsManagerApi(client, {
    provider: 'SecretProvider payments/aws',
    onCall: (provider, operation, status) => {
      expect(provider).toBe('aws');
      calls.push([operation, status]);
    },
  });
  return { api: wrapped, calls, requests: http.requests };
}

const awsError = (code: string): Answer => ({
  status: 400,
  headers: { 'x-amzn-errortype': code },
  body: JSON.stringify({ __type: code, message: leak }),
});

describe('SdkSecretsManagerApi', () => {
  test('GetSecretValue with a stage or a version id; the answer becomes a payload', async () => {
    const {
      api: sm,
      calls,
      requests,
    } = api([
      { body: JSON.stringify({ Name: 'db', ARN: 'arn:x', VersionId: 'v1', SecretString: 's' }) },
      { body: JSON.stringify({ Name: 'db', VersionId: 'v0', SecretBinary: 'AAEC' }) },
    ]);
    expect(await sm.getSecretValue('db', { stage: 'AWSPREVIOUS' }, signal())).toEqual({
      name: 'db',
      arn: 'arn:x',
      versionId: 'v1',
      secretString: 's',
    });
    const binary = await sm.getSecretValue('db', { versionId: 'v0' }, signal());
    expect([...binary.secretBinary!]).toEqual([0, 1, 2]);
    expect(requests.map((r) => [r.target, JSON.parse(r.body)])).toEqual([
      ['secretsmanager.GetSecretValue', { SecretId: 'db', VersionStage: 'AWSPREVIOUS' }],
      ['secretsmanager.GetSecretValue', { SecretId: 'db', VersionId: 'v0' }],
    ]);
    expect(calls).toEqual([
      ['get', 'success'],
      ['get', 'success'],
    ]);
  });

  test('failures are typed, counted with their reason, and never quote AWS', async () => {
    const { api: sm, calls } = api([awsError('ThrottlingException'), awsError('ResourceNotFoundException')]);
    const throttled = sm.getSecretValue('db', { stage: 'AWSCURRENT' }, signal());
    await expect(throttled).rejects.toBeInstanceOf(ThrottledError);
    await expect(sm.putSecretValue('db', { secretString: 'x' }, signal())).rejects.toThrow(/not found.*"db"/);
    await throttled.catch((error: Error) => expect(error.message).not.toContain(leak));
    expect(calls).toEqual([
      ['get', 'Throttled'],
      ['write', 'RemoteNotFound'],
    ]);
  });

  test('BatchGetSecretValue follows NextToken and keeps per-secret error codes only', async () => {
    const {
      api: sm,
      calls,
      requests,
    } = api([
      {
        body: JSON.stringify({
          SecretValues: [{ Name: 'a', VersionId: 'va', SecretString: '1' }],
          Errors: [{ SecretId: 'b', ErrorCode: 'ResourceNotFoundException', Message: leak }],
          NextToken: 'more',
        }),
      },
      { body: JSON.stringify({ SecretValues: [{ Name: 'c', SecretString: '3' }] }) },
    ]);
    const result = await sm.batchGetSecretValue(['a', 'b', 'c'], signal());
    expect(result).toEqual({
      values: [
        { name: 'a', versionId: 'va', secretString: '1' },
        { name: 'c', secretString: '3' },
      ],
      errors: [{ secretId: 'b', code: 'ResourceNotFoundException' }],
    });
    expect(JSON.parse(requests[1]!.body)).toEqual({ SecretIdList: ['a', 'b', 'c'], NextToken: 'more' });
    expect(calls).toEqual([
      ['getMany', 'success'],
      ['getMany', 'success'],
    ]);
  });

  test('a failed batch call yields BatchCallFailed with an error per secret', async () => {
    const denied = api([awsError('AccessDeniedException')]);
    const failure = await denied.api
      .batchGetSecretValue(['a', 'b'], signal())
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BatchCallFailed);
    const { accessDenied, errorFor } = failure as BatchCallFailed;
    expect(accessDenied).toBe(true);
    expect(errorFor('b')).toBeInstanceOf(AccessDeniedError);
    expect(errorFor('b').message).toContain('"b"');
    expect(denied.calls).toEqual([['getMany', 'AuthFailed']]);

    const down = api([{ status: 503, body: '{}' }]);
    const other = (await down.api
      .batchGetSecretValue(['a', 'b'], signal())
      .catch((e: unknown) => e)) as BatchCallFailed;
    expect(other.accessDenied).toBe(false);
    expect(other.errorFor('a')).toBeInstanceOf(UnavailableError);
  });

  test('ListSecrets sends filters and returns names, ARNs and tags', async () => {
    const {
      api: sm,
      requests,
      calls,
    } = api([
      {
        body: JSON.stringify({
          SecretList: [{ Name: 'a', ARN: 'arn:a', Tags: [{ Key: 'team', Value: 'x' }] }, { ARN: 'no-name' }],
          NextToken: 'n',
        }),
      },
    ]);
    const page = await sm.listSecrets(
      { filters: [{ key: 'name', values: ['team/'] }], maxResults: 100, nextToken: 't' },
      'find',
      signal(),
    );
    expect(page).toEqual({ secrets: [{ name: 'a', arn: 'arn:a', tags: { team: 'x' } }], nextToken: 'n' });
    expect(JSON.parse(requests[0]!.body)).toEqual({
      MaxResults: 100,
      IncludePlannedDeletion: false,
      Filters: [{ Key: 'name', Values: ['team/'] }],
      NextToken: 't',
    });
    expect(calls).toEqual([['find', 'success']]);
  });

  test('PutSecretValue sends SecretString or base64 SecretBinary', async () => {
    const { api: sm, requests } = api([{ body: '{}' }, { body: '{}' }]);
    await sm.putSecretValue('db', { secretString: 'text' }, signal());
    await sm.putSecretValue('db', { secretBinary: new Uint8Array([0, 1, 2]) }, signal());
    expect(JSON.parse(requests[0]!.body)).toMatchObject({ SecretId: 'db', SecretString: 'text' });
    expect(JSON.parse(requests[1]!.body)).toMatchObject({ SecretId: 'db', SecretBinary: 'AAEC' });
  });

  test('an aborted call rejects with the signal reason and counts as aborted', async () => {
    const { api: sm, calls } = api([]);
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(sm.getSecretValue('db', { stage: 'AWSCURRENT' }, controller.signal)).rejects.toBe(reason);
    expect(calls).toEqual([['get', 'aborted']]);
  });

  test('an error from our credential provider reaches the caller unchanged', async () => {
    const missing = new CredentialsUnavailableError({ provider: 'p', path: 'Secret aws' }, 'key missing');
    const { api: sm, calls, requests } = api([], { credentials: () => Promise.reject(missing) });
    await expect(sm.getSecretValue('db', { stage: 'AWSCURRENT' }, signal())).rejects.toBe(missing);
    expect(requests).toEqual([]);
    expect(calls).toEqual([]); // no request left: the failed load is counted where it happened
  });
});

describe('SdkStsApi', () => {
  const xml = (body: string): Answer => ({ headers: { 'content-type': 'text/xml' }, body });
  const assumed = (action: string) =>
    xml(
      `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result><Credentials>` +
        '<AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>sk</SecretAccessKey><SessionToken>st</SessionToken>' +
        `<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></${action}Result></${action}Response>`,
    );

  function sts(answers: Answer[]) {
    const http = fakeHttp(answers);
    const calls: Array<[string, ProviderCallStatus]> = [];
    const client = new STSClient({
      region: 'eu-west-1',
      maxAttempts: 1,
      credentials,
      requestHandler: http.requestHandler,
    });
    const api = new SdkStsApi(client, {
      provider: 'p',
      onCall: (_p, op, status) => calls.push([op, status]),
    });
    return { api, calls, requests: http.requests };
  }

  test('AssumeRole and AssumeRoleWithWebIdentity return the temporary credentials', async () => {
    const { api: s, calls, requests } = sts([assumed('AssumeRole'), assumed('AssumeRoleWithWebIdentity')]);
    const role = await s.assumeRole(
      { roleArn: 'arn:aws:iam::123456789012:role/r', sessionName: 'sess', externalId: 'ext' },
      signal(),
    );
    expect(role).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'sk',
      sessionToken: 'st',
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
    await s.assumeRoleWithWebIdentity(
      { roleArn: 'arn:aws:iam::123456789012:role/w', sessionName: 'sess', webIdentityToken: 'jwt' },
      signal(),
    );
    expect(requests[0]!.body).toContain('ExternalId=ext');
    expect(requests[1]!.body).toContain('WebIdentityToken=jwt');
    expect(calls).toEqual([
      ['login', 'success'],
      ['login', 'success'],
    ]);
  });

  test('a rejected AssumeRole is a plain UnauthorizedError naming the role', async () => {
    const { api: s, calls } = sts([
      {
        status: 403,
        headers: { 'content-type': 'text/xml' },
        body: `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${leak}</Message></Error></ErrorResponse>`,
      },
    ]);
    const error = (await s
      .assumeRole({ roleArn: 'arn:aws:iam::123456789012:role/r', sessionName: 'sess' }, signal())
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error).not.toBeInstanceOf(AccessDeniedError);
    expect(error.message).toContain('arn:aws:iam::123456789012:role/r');
    expect(error.message).not.toContain(leak);
    expect(calls).toEqual([['login', 'AuthFailed']]);
  });
});
