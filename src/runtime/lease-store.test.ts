import { ApiException, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { KubernetesLeaseStore, LeaseConflictError, LeaseRequestError, type LeaseApi } from './lease-store.js';

const KEY = { namespace: 'ops', name: 'secretsource-operator' };

type Call = { method: string; param: unknown };

function fakeApi(respond: (method: string, param: unknown) => V1Lease): { api: LeaseApi; calls: Call[] } {
  const calls: Call[] = [];
  const handle = (method: string) => (param: unknown) => {
    calls.push({ method, param });
    try {
      return Promise.resolve(respond(method, param));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  };
  const api = {
    readNamespacedLease: handle('read'),
    createNamespacedLease: handle('create'),
    replaceNamespacedLease: handle('replace'),
  } as unknown as LeaseApi;
  return { api, calls };
}

const status = (code: number): ApiException<unknown> =>
  new ApiException(code, 'Unknown API Status Code!', { kind: 'Status', code }, {});

/** An ApiException as client-node 2.x throws it: the Status as a JSON string. */
const refused = (code: number, reason: string, message: string): ApiException<unknown> =>
  new ApiException(
    code,
    'Unknown API Status Code!',
    JSON.stringify({ kind: 'Status', status: 'Failure', message, reason, code }),
    {},
  );

describe('KubernetesLeaseStore', () => {
  it('reads a lease, parsing the MicroTime strings client-node hands back', async () => {
    const { api } = fakeApi(() => ({
      metadata: { ...KEY, resourceVersion: '42' },
      spec: {
        holderIdentity: 'op-0_abc',
        leaseDurationSeconds: 15,
        leaseTransitions: 2,
        renewTime: '2026-11-26T10:00:01.123456Z' as unknown as V1MicroTime,
        acquireTime: new Date('2026-11-26T09:00:00Z'),
      },
    }));
    await expect(new KubernetesLeaseStore(api).get(KEY)).resolves.toEqual({
      holderIdentity: 'op-0_abc',
      leaseDurationSeconds: 15,
      leaseTransitions: 2,
      resourceVersion: '42',
      renewTime: new Date('2026-11-26T10:00:01.123Z'),
      acquireTime: new Date('2026-11-26T09:00:00Z'),
    });
  });

  it('reads a missing lease as undefined', async () => {
    const { api } = fakeApi(() => {
      throw status(404);
    });
    await expect(new KubernetesLeaseStore(api).get(KEY)).resolves.toBeUndefined();
  });

  it('writes MicroTime values with six fractional digits and the resourceVersion it read', async () => {
    const { api, calls } = fakeApi((_method, param) => {
      const body = (param as { body: V1Lease }).body;
      return { ...body, metadata: { ...body.metadata, resourceVersion: '43' } };
    });
    const store = new KubernetesLeaseStore(api);
    const renewTime = new Date('2026-11-26T10:00:02.5Z');
    const updated = await store.update(KEY, {
      holderIdentity: 'op-1_def',
      leaseDurationSeconds: 15,
      leaseTransitions: 3,
      renewTime,
      resourceVersion: '42',
    });

    const [call] = calls;
    expect(call?.method).toBe('replace');
    const sent = call?.param as { name: string; namespace: string; body: V1Lease };
    expect(sent).toMatchObject({ ...KEY, body: { metadata: { ...KEY, resourceVersion: '42' } } });
    expect(sent.body.spec?.renewTime).toBeInstanceOf(V1MicroTime);
    expect(JSON.stringify(sent.body.spec)).toContain('"renewTime":"2026-11-26T10:00:02.500000Z"');
    expect(updated).toMatchObject({ holderIdentity: 'op-1_def', resourceVersion: '43', renewTime });
  });

  it('turns 409 into LeaseConflictError and passes other errors through', async () => {
    const conflict = fakeApi(() => {
      throw status(409);
    }).api;
    const store = new KubernetesLeaseStore(conflict);
    const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 };
    await expect(store.create(KEY, spec)).rejects.toBeInstanceOf(LeaseConflictError);
    await expect(store.update(KEY, { ...spec, resourceVersion: '1' })).rejects.toBeInstanceOf(
      LeaseConflictError,
    );

    const forbidden = new KubernetesLeaseStore(
      fakeApi(() => {
        throw status(403);
      }).api,
    );
    await expect(forbidden.get(KEY)).rejects.toMatchObject({ statusCode: 403, operation: 'get' });
  });

  it('a create in a missing namespace says to create it or pass --leader-election-namespace', async () => {
    const store = new KubernetesLeaseStore(
      fakeApi((method) => {
        if (method === 'read') throw refused(404, 'NotFound', 'leases.coordination.k8s.io "x" not found');
        throw refused(404, 'NotFound', 'namespaces "ops" not found');
      }).api,
    );
    await expect(store.get(KEY)).resolves.toBeUndefined();
    const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 };
    const error = await store.create(KEY, spec).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LeaseRequestError);
    expect(error).toMatchObject({ operation: 'create', statusCode: 404, lease: KEY });
    expect((error as Error).message).toBe(
      'namespaces "ops" not found — create it (kubectl create namespace ops) or pass --leader-election-namespace',
    );
  });

  it('a refused request names the verb and the RBAC the Lease needs', async () => {
    const message =
      'leases.coordination.k8s.io "secretsource-operator" is forbidden: User "system:serviceaccount:ops:op" ' +
      'cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "ops"';
    const store = new KubernetesLeaseStore(
      fakeApi(() => {
        throw refused(403, 'Forbidden', message);
      }).api,
    );
    await expect(store.get(KEY)).rejects.toThrow(
      `${message} — grant get, create and update on leases in namespace ops ` +
        '(config/rbac/leader_election_role.yaml) or pass --leader-election-namespace',
    );
  });

  it('a request that never reached the API server keeps the cause in its message', async () => {
    const store = new KubernetesLeaseStore(
      fakeApi(() => {
        throw new Error(
          'request to https://127.0.0.1:6443/apis/coordination.k8s.io failed, reason: connect ECONNREFUSED',
        );
      }).api,
    );
    await expect(store.get(KEY)).rejects.toMatchObject({
      operation: 'get',
      statusCode: undefined,
      message: expect.stringContaining('connect ECONNREFUSED'),
    });
  });
});
