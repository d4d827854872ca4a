// One operator e2e test file's world, set up in beforeAll and torn down in afterAll (useOperatorFixture):
// the CRDs and config/rbac, a namespace (more on request), the provider under test with one
// SecretProvider per auth mode, and the operator running as its config/rbac ServiceAccount. At the
// end, whatever failed: the operators still running get to run every finalizer and are stopped (each
// must exit 0), the namespaces and Leases are deleted, what the provider created in its backend is
// removed, and no generated value may show in any operator's output or in the namespaces' Events.
// Every operator started here registers its log with the e2e environment
// (operator-log-environment.mjs), which attaches its tail to a failing test.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import {
  adminKubeConfig,
  deleteNamespace,
  eventually,
  installCrds,
  readyCondition,
  uniqueName,
} from './kube.js';
import {
  OPERATOR_NAMESPACE,
  installOperatorRbac,
  leakLocations,
  leakedCount,
  operatorKubeconfigFile,
  type ScannedText,
  startOperator,
  type RunningOperator,
} from './operator.js';
import { scrape, type Sample } from './prometheus.js';
import type { ProviderContext, ProviderUnderTest } from './provider-under-test.js';
import { authMode } from './provider-under-test.js';
import { API_VERSION, GROUP, SecretSourceObjects, VERSION, type Condition } from './secret-sources.js';

/**
 * What the fixture sets up before the first test, beyond the CRDs, config/rbac and the namespace:
 * - `operator` (the default): the provider, one SecretProvider per auth mode, the operator;
 * - `operator-without-providers`: the provider and the operator; the file creates its SecretProviders;
 * - `no-operator`: the provider (if any) and its SecretProviders; the file starts its operators;
 * - `backend-only`: the provider's set-up alone; the file creates SecretProviders and operators.
 */
export type FixtureMode = 'operator' | 'operator-without-providers' | 'no-operator' | 'backend-only';

export interface OperatorFixtureOptions {
  /** What is there before the first test (default `operator`). */
  mode?: FixtureMode;
  /** Prefix of the namespace and of the operators' Leases: `sync` → namespace `sync-1a2b3c4d`. */
  name: string;
  namespaceLabels?: Record<string, string>;
  /**
   * The provider under test: set up first, then one SecretProvider per auth mode, named
   * `<provider>-<mode>` (providerName()), before the operator starts.
   */
  provider?: ProviderUnderTest;
  /**
   * The auth modes to create SecretProviders for (default: all; at least one: for none, a mode
   * without providers); the first is the SecretSources' default.
   */
  authModes?: readonly string[];
  /** Names of those SecretProviders by auth mode, where a test needs its own (`{ token: 'vault' }`). */
  providerNames?: Readonly<Record<string, string>>;
  /** The SecretProvider a new SecretSource refers to when the fixture creates none. */
  defaultProvider?: string;
  /** Spec fields every new SecretSource starts from (the test's spec goes over them). */
  sourceDefaults?: (name: string) => Record<string, unknown>;
  /** Runs after the SecretProviders exist and before the operator starts (namespaces, workloads). */
  beforeOperator?: (fx: OperatorFixture) => Promise<void>;
  /** Extra flags of that operator (`--log-level=debug`). */
  operatorArgs?: string[];
  /** Wait for each SecretProvider to be Ready=True before the first test (default true). */
  waitProvidersReady?: boolean;
  /**
   * Delete every SecretSource while an operator still runs, so its finalizers run (default true).
   * Off for a file whose SecretSources hold no finalizer and are too many to delete one by one.
   */
  runFinalizers?: boolean;
  /** Timeout of the setUp and tearDown hooks (default 120 s). */
  hookTimeoutMs?: number;
}

export interface StartOptions {
  /** Default: every namespace of the fixture; `from-flags`: no --namespaces of ours (extraArgs names them). */
  namespaces?: readonly string[] | 'from-flags';
  /** POD_NAME, the replica's identity in the Lease. */
  identity?: string;
  /** Default: a Lease of its own (`e2e-<name>-<random>`), so operators never share one by accident. */
  leaseId?: string;
  leaseNamespace?: string;
  /** Default: a token of the config/rbac ServiceAccount (operatorKubeconfig). */
  kubeconfig?: string;
  env?: Record<string, string>;
  extraArgs?: string[];
}

export class OperatorFixture implements ProviderContext {
  readonly kc = adminKubeConfig();
  readonly core = this.kc.makeApiClient(k8s.CoreV1Api);
  readonly #options: OperatorFixtureOptions;
  readonly #neverPrinted: string[] = [];
  readonly #cleanups: (() => Promise<unknown>)[] = [];
  readonly #namespaces: string[] = [];
  readonly #objects = new Map<string, SecretSourceObjects>();
  readonly #operators: RunningOperator[] = [];
  readonly #leases = new Set<string>();
  #kubeconfig: string | undefined;
  #operator: RunningOperator | undefined;
  /** Leaks already reported, so each fails the test after which it appeared, and only that one. */
  readonly #reportedLeaks = new Set<string>();

  constructor(options: OperatorFixtureOptions) {
    this.#options = options;
  }

  // ----------------------------------------------------------------------------------------------
  // What the tests use

  /** The fixture's first namespace: its SecretProviders and the operator live there. */
  get namespace(): string {
    return this.#set(this.#namespaces[0], 'namespace');
  }

  get namespaces(): readonly string[] {
    return this.#namespaces;
  }

  /** The SecretSource helpers of the fixture's namespace. */
  get objects(): SecretSourceObjects {
    return this.objectsIn(this.namespace);
  }

  /** The operator the fixture started (modes `operator` and `operator-without-providers`). */
  get operator(): RunningOperator {
    return this.#set(this.#operator, 'operator');
  }

  /** A kubeconfig file holding a token of the operator's config/rbac ServiceAccount. */
  get operatorKubeconfig(): string {
    return this.#set(this.#kubeconfig, 'operatorKubeconfig');
  }

  get provider(): ProviderUnderTest {
    return this.#set(this.#options.provider, 'provider');
  }

  /** The auth modes the fixture created SecretProviders for, the default first. */
  get authModeNames(): readonly string[] {
    return this.#authModes();
  }

  /** The SecretProvider of an auth mode (default: the first one). */
  providerName(mode: string = this.#authModes()[0] ?? ''): string {
    const name = authMode(this.provider, mode).name;
    return this.#options.providerNames?.[name] ?? `${this.provider.name}-${name}`;
  }

  /** SecretSource helpers of one of the fixture's namespaces. */
  objectsIn(namespace: string): SecretSourceObjects {
    let objects = this.#objects.get(namespace);
    if (!objects) {
      const provider =
        this.#options.defaultProvider ?? (this.#authModes().length > 0 ? this.providerName() : '');
      objects = new SecretSourceObjects(this.kc, namespace, {
        provider,
        ...(this.#options.sourceDefaults ? { sourceDefaults: this.#options.sourceDefaults } : {}),
      });
      this.#objects.set(namespace, objects);
    }
    return objects;
  }

  /** What a provider needs to create a SecretProvider in another of the fixture's namespaces. */
  contextIn(namespace: string): ProviderContext {
    return {
      kc: this.kc,
      core: this.core,
      namespace,
      generated: (bytes) => this.generated(bytes),
      neverPrint: (...values) => this.neverPrint(...values),
      onCleanup: (step) => this.onCleanup(step),
    };
  }

  generated(bytes = 16): string {
    const value = randomBytes(bytes).toString('hex');
    this.#neverPrinted.push(value);
    return value;
  }

  neverPrint(...values: string[]): void {
    this.#neverPrinted.push(...values);
  }

  onCleanup(step: () => Promise<unknown>): void {
    this.#cleanups.push(step);
  }

  /** Every value registered as never to be printed, for a test's own scan (never print them). */
  get neverPrinted(): readonly string[] {
    return this.#neverPrinted;
  }

  /** How many registered values appear in `text` (default: every operator's output so far). */
  leaked(text: string = this.#operators.map((operator) => operator.output()).join('\n')): number {
    return leakedCount(text, this.#neverPrinted);
  }

  /**
   * Every place a registered value appears now and did not at the last check: each operator's
   * output (by line) and each Event of the fixture's namespaces (by namespace and name).
   */
  async newLeaks(): Promise<string[]> {
    const texts: ScannedText[] = [
      ...this.#operators.map((operator) => ({
        where: `operator output (pid ${operator.process.pid})`,
        text: operator.output(),
      })),
      ...(await this.#events()).map((event) => ({
        where: `Event ${event.metadata?.namespace}/${event.metadata?.name}`,
        text: JSON.stringify(event),
      })),
    ];
    const fresh = leakLocations(texts, this.#neverPrinted).filter((where) => !this.#reportedLeaks.has(where));
    fresh.forEach((where) => this.#reportedLeaks.add(where));
    return fresh;
  }

  /** A namespace deleted at the end (with its SecretSources' finalizers run first). */
  async createNamespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
    const name = uniqueName(prefix);
    await this.core.createNamespace({ body: { metadata: { name, labels } } });
    this.#namespaces.push(name);
    return name;
  }

  /** Creates a ClusterSecretProvider, deleted at the end (it outlives every namespace otherwise). */
  async createClusterProvider(name: string, spec: Record<string, unknown>): Promise<void> {
    const custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
    const api = { group: GROUP, version: VERSION, plural: 'clustersecretproviders' };
    await custom.createClusterCustomObject({
      ...api,
      body: { apiVersion: API_VERSION, kind: 'ClusterSecretProvider', metadata: { name }, spec },
    });
    this.onCleanup(() => custom.deleteClusterCustomObject({ ...api, name }));
  }

  /** Waits for a ClusterSecretProvider's Ready to have this status (and reason, if given). */
  async waitClusterProviderReady(
    name: string,
    status: 'True' | 'False' | 'Unknown',
    reason?: string,
  ): Promise<Condition> {
    const custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
    return eventually(async () => {
      const provider = (await custom.getClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'clustersecretproviders',
        name,
      })) as { status?: { conditions?: Condition[] } };
      const ready = readyCondition(provider);
      if (ready?.status !== status || (reason !== undefined && ready.reason !== reason))
        throw new Error(
          `ClusterSecretProvider ${name}: Ready is ${ready?.status}/${ready?.reason}, want ${status}/${reason ?? 'any'}`,
        );
      return ready;
    });
  }

  /** Starts an operator as the config/rbac ServiceAccount; the fixture stops it at the end. */
  async startOperator(options: StartOptions = {}): Promise<RunningOperator> {
    const leaseId = options.leaseId ?? uniqueName(`e2e-${this.#options.name}`);
    const leaseNamespace = options.leaseNamespace ?? OPERATOR_NAMESPACE;
    this.#leases.add(`${leaseNamespace}/${leaseId}`);
    const operator = await startOperator({
      kubeconfig: options.kubeconfig ?? this.operatorKubeconfig,
      namespaces: options.namespaces === 'from-flags' ? [] : [...(options.namespaces ?? this.#namespaces)],
      leaseNamespace,
      extraArgs: [`--leader-election-id=${leaseId}`, ...(options.extraArgs ?? [])],
      env: { ...this.#options.provider?.operatorEnv(), ...options.env },
      ...(options.identity ? { identity: options.identity } : {}),
    });
    this.#operators.push(operator);
    return operator;
  }

  /** The samples on an operator's /metrics (default: the fixture's operator). */
  metrics(operator: RunningOperator = this.operator): Promise<Sample[]> {
    return scrape(operator.metricsUrl);
  }

  // ----------------------------------------------------------------------------------------------
  // beforeAll / afterAll

  async setUp(): Promise<void> {
    const options = this.#options;
    await installCrds(this.kc);
    await installOperatorRbac(this.kc);
    await this.createNamespace(options.name, options.namespaceLabels);
    this.#kubeconfig = await operatorKubeconfigFile(this.kc);
    const providers: string[] = [];
    if (options.provider) {
      await options.provider.setUp(this);
      for (const mode of this.#authModes()) {
        const name = this.providerName(mode);
        await this.objects.createProvider(name, await authMode(options.provider, mode).providerSpec(this));
        providers.push(name);
      }
    }
    await options.beforeOperator?.(this);
    if (this.#mode() === 'no-operator' || this.#mode() === 'backend-only') return;
    this.#operator = await this.startOperator({ extraArgs: options.operatorArgs ?? [] });
    if (options.waitProvidersReady === false) return;
    for (const name of providers) await this.objects.waitProviderReady(name, 'True', undefined, 30_000);
  }

  async tearDown(): Promise<void> {
    const exitCodes: (number | null)[] = [];
    let events: string;
    try {
      const running = this.#operators.filter(
        (operator) => operator.process.exitCode === null && operator.process.signalCode === null,
      );
      // Finalizers first, while an operator is there to run them; then a clean stop.
      if (running.length > 0 && this.#options.runFinalizers !== false)
        await Promise.all(this.#namespaces.map((namespace) => this.objectsIn(namespace).deleteAllSources()));
      for (const operator of running) exitCodes.push(await operator.stop());
      events = await this.#eventsText();
    } finally {
      await Promise.all(this.#operators.map((operator) => operator.kill()));
      // With no operator left, nobody else would remove the finalizers: the namespaces would hang.
      for (const namespace of this.#namespaces) await this.objectsIn(namespace).dropFinalizers();
      await Promise.all(this.#namespaces.map((namespace) => deleteNamespace(this.kc, namespace)));
      await this.#deleteLeases();
      for (const step of this.#cleanups.reverse()) await step().catch(() => undefined);
    }
    expect({ exitCodes }).toEqual({ exitCodes: exitCodes.map(() => 0) });
    // Where, never what: a failure names the stream and line or the Event of each leak.
    const texts = [
      ...this.#operators.map((operator) => ({
        where: `operator output (pid ${operator.process.pid})`,
        text: operator.output(),
      })),
      { where: 'Events at teardown', text: events },
    ];
    expect({ leaks: leakLocations(texts, this.#neverPrinted) }).toEqual({ leaks: [] });
  }

  // ----------------------------------------------------------------------------------------------

  #mode(): FixtureMode {
    return this.#options.mode ?? 'operator';
  }

  #authModes(): readonly string[] {
    if (this.#options.authModes?.length === 0)
      throw new Error("authModes: [] is not a mode: use mode 'operator-without-providers' or 'backend-only'");
    if (this.#mode() === 'operator-without-providers' || this.#mode() === 'backend-only') return [];
    return this.#options.authModes ?? this.#options.provider?.authModes.map((mode) => mode.name) ?? [];
  }

  #set<T>(value: T | undefined, what: string): T {
    if (value === undefined)
      throw new Error(`OperatorFixture.${what} is not there: used outside a test, or not asked for`);
    return value;
  }

  async #events(): Promise<k8s.CoreV1Event[]> {
    const lists = await Promise.all(
      this.#namespaces.map((namespace) =>
        this.core.listNamespacedEvent({ namespace }).catch(() => ({ items: [] as k8s.CoreV1Event[] })),
      ),
    );
    return lists.flatMap((list) => list.items);
  }

  async #eventsText(): Promise<string> {
    return JSON.stringify(await this.#events());
  }

  async #deleteLeases(): Promise<void> {
    const leases = this.kc.makeApiClient(k8s.CoordinationV1Api);
    for (const lease of this.#leases) {
      const [namespace, name] = lease.split('/') as [string, string];
      await leases.deleteNamespacedLease({ namespace, name }).catch(() => undefined);
    }
  }
}

/**
 * The fixture of a test file (or describe block): setUp in beforeAll, tearDown in afterAll. After
 * each test the operators' output and the Events are scanned: a registered value found there fails
 * that test, naming where (stream and line, or the Event), never the value. The scan in tearDown
 * stays as the net for what is printed while the operators stop.
 */
export function useOperatorFixture(options: OperatorFixtureOptions): OperatorFixture {
  const fixture = new OperatorFixture(options);
  beforeAll(() => fixture.setUp(), options.hookTimeoutMs ?? 120_000);
  afterEach(async () => {
    expect({ leaks: await fixture.newLeaks() }).toEqual({ leaks: [] });
  });
  afterAll(() => fixture.tearDown(), options.hookTimeoutMs ?? 120_000);
  return fixture;
}
