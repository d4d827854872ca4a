import type * as k8s from '@kubernetes/client-node';
import { FakeClock } from './clock.js';
import { KubeEventRecorder, type InvolvedObject } from './events.js';

/** Who records, as the composition root names it (src/kube knows no names). */
const reporter = { component: 'secretsource-operator', controller: 'secretsource.dev/operator' };
import type { WriteLimiter } from './rate-limiter.js';

const involved: InvolvedObject = {
  apiVersion: 'secretsource.dev/v1alpha1',
  kind: 'SecretSource',
  name: 'db',
  namespace: 'payments',
  uid: 'uid-db',
};

/** Records createNamespacedEvent calls; fails them while `failing` is set. */
class FakeEventsApi {
  readonly created: Array<{ namespace: string; body: k8s.CoreV1Event }> = [];
  failing = false;

  createNamespacedEvent(request: { namespace: string; body: k8s.CoreV1Event }): Promise<k8s.CoreV1Event> {
    if (this.failing) return Promise.reject(new Error('HTTP 500'));
    this.created.push(request);
    return Promise.resolve(request.body);
  }
}

/** A limiter that hands out tokens only when the test releases them. */
class GatedLimiter implements WriteLimiter {
  #waiting: Array<() => void> = [];

  get waiting(): number {
    return this.#waiting.length;
  }

  take(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    this.#waiting.shift()?.();
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(options: { limiter?: WriteLimiter } = {}) {
  const clock = new FakeClock(Date.parse('2026-11-27T00:00:00Z'));
  const api = new FakeEventsApi();
  const errors: unknown[] = [];
  let writes = 0;
  const recorder = new KubeEventRecorder({
    core: api as unknown as Pick<k8s.CoreV1Api, 'createNamespacedEvent'>,
    clock,
    reporter,
    instance: 'operator-0',
    repeatWindowMs: 60_000,
    onError: (error) => errors.push(error),
    onWrite: () => writes++,
    ...options,
  });
  return { clock, api, errors, recorder, writes: () => writes };
}

test('an Event names the object, the reporting controller and instance, and is counted as a write', async () => {
  const { api, recorder, writes } = setup();
  recorder.record(involved, 'Normal', 'Created', 'Created Secret db (2 keys, spec-changed)');
  await settle();
  expect(api.created).toHaveLength(1);
  const { namespace, body } = api.created[0]!;
  expect(namespace).toBe('payments');
  expect(body).toMatchObject({
    metadata: { generateName: 'db.', namespace: 'payments' },
    involvedObject: { kind: 'SecretSource', name: 'db', uid: 'uid-db' },
    type: 'Normal',
    reason: 'Created',
    source: { component: reporter.component },
    reportingComponent: reporter.controller,
    reportingInstance: 'operator-0',
    count: 1,
  });
  expect(writes()).toBe(1);
});

test('the same Event inside the repeat window is recorded once, and again after it', async () => {
  const { api, clock, recorder } = setup();
  recorder.record(involved, 'Warning', 'Unavailable', 'provider down');
  recorder.record(involved, 'Warning', 'Unavailable', 'provider down');
  recorder.record(involved, 'Warning', 'AuthFailed', 'provider down');
  clock.advance(60_000);
  recorder.record(involved, 'Warning', 'Unavailable', 'provider down');
  await settle();
  expect(api.created.map((c) => c.body.reason)).toEqual(['Unavailable', 'AuthFailed', 'Unavailable']);
});

test('Events wait for the shared write limiter without holding up the caller', async () => {
  const limiter = new GatedLimiter();
  const { api, recorder, writes } = setup({ limiter });
  recorder.record(involved, 'Normal', 'Created', 'one');
  recorder.record(involved, 'Normal', 'Updated', 'two');
  await settle();
  expect(limiter.waiting).toBe(2);
  expect(api.created).toHaveLength(0);
  limiter.release();
  await settle();
  expect(api.created.map((c) => c.body.message)).toEqual(['one']);
  limiter.release();
  await settle();
  expect(writes()).toBe(2);
});

test('a failed Event goes to onError, is not counted, and long messages are cut to 1024 characters', async () => {
  const { api, errors, recorder, writes } = setup();
  api.failing = true;
  recorder.record(involved, 'Warning', 'WriteFailed', 'x');
  await settle();
  expect(errors).toHaveLength(1);
  expect(writes()).toBe(0);
  api.failing = false;
  recorder.record(involved, 'Warning', 'InvalidSpec', 'y'.repeat(5000));
  await settle();
  expect(api.created[0]!.body.message).toHaveLength(1024);
});
