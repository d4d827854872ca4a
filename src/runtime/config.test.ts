import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseRunConfig, type RunConfig } from './config.js';
import { loadKubeConfig } from './kube-config.js';

const deps = { hostname: () => 'node-a', randomId: () => 'r1' };
const parse = (argv: string[], env: Record<string, string | undefined> = {}): RunConfig =>
  parseRunConfig(argv, env, deps);

describe('parseRunConfig', () => {
  it('applies defaults', () => {
    expect(parse([])).toEqual({
      kubeconfig: { kind: 'in-cluster' },
      namespaces: [],
      concurrency: 8,
      metricsAddress: { port: 8080 },
      healthAddress: { port: 8081 },
      leaderElect: true,
      leaderElectionNamespace: 'secretsource-system',
      leaderElectionId: 'secretsource-operator',
      leaderElectionIdentity: 'node-a_r1',
      logLevel: 'info',
      kubeQps: 20,
      kubeBurst: 40,
      clusterProviders: true,
    });
  });

  it('reads every flag', () => {
    const config = parse([
      '--kubeconfig=/tmp/kc',
      '--namespaces',
      'payments, billing,payments',
      '--namespaces=orders',
      '--concurrency',
      '16',
      '--metrics-addr=127.0.0.1:0',
      '--health-addr',
      '[::1]:9091',
      '--leader-elect=false',
      '--leader-election-namespace=ops',
      '--leader-election-id=secretsource.example.com',
      '--log-level=DEBUG',
      '--kube-qps=2.5',
      '--kube-burst=5',
      '--cluster-providers=false',
    ]);
    expect(config).toEqual({
      kubeconfig: { kind: 'file', paths: ['/tmp/kc'], from: 'flag' },
      namespaces: ['payments', 'billing', 'orders'],
      concurrency: 16,
      metricsAddress: { host: '127.0.0.1', port: 0 },
      healthAddress: { host: '::1', port: 9091 },
      leaderElect: false,
      leaderElectionNamespace: 'ops',
      leaderElectionId: 'secretsource.example.com',
      leaderElectionIdentity: 'node-a_r1',
      logLevel: 'debug',
      kubeQps: 2.5,
      kubeBurst: 5,
      clusterProviders: false,
    });
  });

  it('reads booleans in every common spelling', () => {
    expect(parse(['--leader-elect']).leaderElect).toBe(true);
    expect(parse(['--leader-elect=true']).leaderElect).toBe(true);
    expect(parse(['--no-leader-elect']).leaderElect).toBe(false);
    expect(parse(['--leader-elect=0']).leaderElect).toBe(false);
    expect(parse(['--no-cluster-providers']).clusterProviders).toBe(false);
    expect(parse(['--cluster-providers=no']).clusterProviders).toBe(false);
    expect(parse(['--cluster-providers=true']).clusterProviders).toBe(true);
  });

  it('falls back to KUBECONFIG, POD_NAMESPACE and POD_NAME', () => {
    const config = parse([], {
      KUBECONFIG: '/a/config:/b/config',
      POD_NAMESPACE: 'operators',
      POD_NAME: 'op-0',
    });
    expect(config.kubeconfig).toEqual({ kind: 'file', paths: ['/a/config', '/b/config'], from: 'env' });
    expect(config.leaderElectionNamespace).toBe('operators');
    expect(config.leaderElectionIdentity).toBe('op-0_r1');
  });

  it('lets flags win over the environment and ignores empty variables', () => {
    const config = parse(['--kubeconfig', '/flag', '--leader-election-namespace', 'x'], {
      KUBECONFIG: '/env',
      POD_NAMESPACE: 'y',
    });
    expect(config.kubeconfig).toEqual({ kind: 'file', paths: ['/flag'], from: 'flag' });
    expect(config.leaderElectionNamespace).toBe('x');
    expect(parse([], { KUBECONFIG: '', POD_NAMESPACE: ' ' })).toMatchObject({
      kubeconfig: { kind: 'in-cluster' },
      leaderElectionNamespace: 'secretsource-system',
    });
  });

  it('makes a new identity per process', () => {
    const a = parseRunConfig([], { POD_NAME: 'op-0' }).leaderElectionIdentity;
    const b = parseRunConfig([], { POD_NAME: 'op-0' }).leaderElectionIdentity;
    expect(a).toMatch(/^op-0_/);
    expect(a).not.toBe(b);
  });

  it.each([
    [['--concurrency', '0'], /--concurrency: expected a whole number from 1 to 1000, got "0"/],
    [['--concurrency', '2.5'], /--concurrency: expected a whole number/],
    [['--concurrency', 'lots'], /--concurrency: expected a whole number/],
    [['--kube-qps=-1'], /--kube-qps: expected a number greater than 0/],
    [['--kube-qps', '-1'], /--kube-qps' argument is ambiguous/],
    [['--kube-qps', ''], /--kube-qps: expected a number greater than 0/],
    [['--kube-burst', '0'], /--kube-burst: expected a whole number/],
    [['--metrics-addr', '8080'], /--metrics-addr: invalid listen address "8080"/],
    [['--health-addr', ':99999'], /--health-addr: invalid listen address/],
    [['--namespaces', 'Payments'], /--namespaces: "Payments" is not a valid namespace name/],
    [['--leader-election-namespace', 'a_b'], /--leader-election-namespace: "a_b" is not a valid/],
    [['--leader-election-id', 'Bad..id'], /--leader-election-id: "Bad..id" is not a valid object name/],
    [
      ['--log-level', 'verbose'],
      /--log-level: expected one of fatal, error, warn, info, debug, trace, silent/,
    ],
    [['--leader-elect=maybe'], /--leader-elect: expected true or false, got "maybe"/],
    [['--kubeconfig='], /--kubeconfig: must not be empty/],
    [['--unknown'], /Unknown option '--unknown'/],
    [['--concurrency'], /--concurrency/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('rejects %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(ConfigError);
    expect(() => parse(argv)).toThrow(message);
  });
});

describe('loadKubeConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'secretsource-kubeconfig-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const kubeconfig = (cluster: string, server: string, currentContext?: string): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: cluster, cluster: { server } }],
      users: [{ name: 'u', user: {} }],
      contexts: [{ name: cluster, context: { cluster, user: 'u' } }],
      ...(currentContext ? { 'current-context': currentContext } : {}),
    });

  it('merges several files, the first one winning', () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, kubeconfig('one', 'https://127.0.0.1:6443', 'one'));
    writeFileSync(b, kubeconfig('two', 'https://127.0.0.1:7443', 'two'));
    const config = loadKubeConfig({ kind: 'file', paths: [a, b], from: 'env' });
    expect(config.getCurrentContext()).toBe('one');
    expect(config.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    expect(config.getCluster('two')?.server).toBe('https://127.0.0.1:7443');
  });
});
