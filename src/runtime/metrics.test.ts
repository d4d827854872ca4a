import { register as globalRegistry } from 'prom-client';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('counts syncs by result and observes their duration', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.syncFinished('written', 0.2);
    metrics.syncFinished('written', 0.3);
    metrics.syncFinished('error', 4);

    const text = await metrics.render();
    expect(text).toContain('secretsource_sync_total{result="written"} 2');
    expect(text).toContain('secretsource_sync_total{result="error"} 1');
    expect(text).toContain('secretsource_sync_duration_seconds_count 3');
    expect(text).toContain('secretsource_sync_duration_seconds_bucket{le="0.25"} 1');
    expect(text).toContain('secretsource_sync_duration_seconds_bucket{le="5"} 3');
  });

  it('counts provider calls and Kubernetes writes', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.providerCall('aws', 'getMany', 'ok');
    metrics.providerCall('aws', 'getMany', 'ok', 2);
    metrics.providerCall('vault', 'login', 'unauthorized');
    metrics.kubeWrite('secrets', 'apply');

    const text = await metrics.render();
    expect(text).toContain(
      'secretsource_provider_calls_total{provider="aws",operation="getMany",status="ok"} 3',
    );
    expect(text).toContain(
      'secretsource_provider_calls_total{provider="vault",operation="login",status="unauthorized"} 1',
    );
    expect(text).toContain('secretsource_kube_writes_total{resource="secrets",verb="apply"} 1');
  });

  it('counts lease renewals, issues and revocations, and keeps one lease expiry per SecretSource', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.leaseRenewal('renewed');
    metrics.leaseRenewal('max_ttl');
    metrics.dynamicIssue('max_ttl', 'issued');
    metrics.leaseRevocation('revoked');
    metrics.leaseExpiry('payments', 'db', new Date(1_800_000_000_000));
    metrics.leaseExpiry('payments', 'cache', new Date(1_800_000_000_000));
    metrics.leaseExpiry('payments', 'cache', undefined);

    const text = await metrics.render();
    expect(text).toContain('secretsource_lease_renewals_total{result="renewed"} 1');
    expect(text).toContain('secretsource_lease_renewals_total{result="max_ttl"} 1');
    expect(text).toContain('secretsource_dynamic_issues_total{reason="max_ttl",result="issued"} 1');
    expect(text).toContain('secretsource_lease_revocations_total{result="revoked"} 1');
    expect(text).toContain(
      'secretsource_lease_expiry_timestamp_seconds{namespace="payments",secretsource="db"} 1800000000',
    );
    expect(text).not.toContain('secretsource="cache"');
  });

  it('reads the queue depth and object readiness at scrape time', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    expect(await metrics.render()).toContain('secretsource_queue_depth 0');

    let depth = 7;
    metrics.setQueueDepthSource(() => depth);
    metrics.setObjectReadinessSource(() => ({ True: 5, False: 2, Unknown: 1 }));
    let text = await metrics.render();
    expect(text).toContain('secretsource_queue_depth 7');
    expect(text).toContain('secretsource_objects{ready="True"} 5');
    expect(text).toContain('secretsource_objects{ready="False"} 2');
    expect(text).toContain('secretsource_objects{ready="Unknown"} 1');

    depth = 0;
    text = await metrics.render();
    expect(text).toContain('secretsource_queue_depth 0');
  });

  it('includes process metrics by default, on its own registry only', async () => {
    const metrics = new Metrics();
    const text = await metrics.render();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(metrics.contentType).toMatch(/^text\/plain/);
    expect(await globalRegistry.metrics()).not.toContain('secretsource_');
  });

  it('keeps separate instances independent', async () => {
    const a = new Metrics({ defaultMetrics: false });
    const b = new Metrics({ defaultMetrics: false });
    a.syncFinished('unchanged', 0.01);
    expect(await b.render()).not.toContain('secretsource_sync_total{result="unchanged"}');
  });
});

test('certificate expiry is exported per SecretSource and removed when the Secret holds none', async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  metrics.certificateNotAfter('payments', 'tls', new Date('2027-01-01T00:00:00Z'));
  expect(await metrics.render()).toContain(
    'secretsource_certificate_not_after_timestamp_seconds{namespace="payments",secretsource="tls"} 1798761600',
  );
  metrics.certificateNotAfter('payments', 'tls', undefined);
  expect(await metrics.render()).not.toContain('secretsource="tls"');
});
