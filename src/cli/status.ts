// `secretsource status [-n NAMESPACE | -A]`: the SecretSources at a glance, failing ones first, with
// the user's kubeconfig. The same binary installed as `kubectl-secretsource` answers
// `kubectl secretsource status`.
import * as k8s from '@kubernetes/client-node';
import { GROUP, VERSION, type SecretSource } from '../api/v1alpha1/index.js';
import type { CommandIo } from './validate.js';

export const STATUS_USAGE = `Usage: secretsource status [-n NAMESPACE | -A] [--kubeconfig PATH]

Lists SecretSources with readiness, reason, last sync and next refresh; the failing ones first.
  -n, --namespace       one namespace (default: the kubeconfig context's, else default)
  -A, --all-namespaces  every namespace
      --kubeconfig      kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
`;

export interface StatusRow {
  namespace: string;
  name: string;
  ready: string;
  reason: string;
  lastSync: string;
  nextRefresh: string;
  message: string;
}

export function statusRow(source: SecretSource): StatusRow {
  const ready = source.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    namespace: source.metadata.namespace,
    name: source.metadata.name,
    ready: ready?.status ?? 'Unknown',
    reason: ready?.reason ?? '',
    lastSync: source.status?.lastSyncTime ?? '',
    nextRefresh: source.status?.nextRefreshTime ?? '',
    message: ready?.message ?? '',
  };
}

/** Failing (False) first, then not yet known (Unknown), then Ready; by namespace and name within. */
export function sortRows(rows: StatusRow[]): StatusRow[] {
  const rank = (row: StatusRow) => (row.ready === 'False' ? 0 : row.ready === 'True' ? 2 : 1);
  return [...rows].sort(
    (a, b) => rank(a) - rank(b) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
  );
}

export function formatTable(rows: readonly StatusRow[], withNamespace: boolean): string {
  const header = ['NAME', 'READY', 'REASON', 'LAST SYNC', 'NEXT REFRESH', 'MESSAGE'];
  const lines = rows.map((r) => [r.name, r.ready, r.reason, r.lastSync, r.nextRefresh, oneLine(r.message)]);
  const table = withNamespace
    ? [['NAMESPACE', ...header], ...rows.map((r, i) => [r.namespace, ...lines[i]!])]
    : [header, ...lines];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  return table
    .map((line) =>
      line
        .map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('   '),
    )
    .join('\n')
    .concat('\n');
}

const oneLine = (text: string) =>
  (text.length > 120 ? `${text.slice(0, 117)}...` : text).replace(/\s+/g, ' ');

export async function statusCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let namespace: string | undefined;
  let all = false;
  let kubeconfig: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') {
      io.stdout(STATUS_USAGE);
      return 0;
    } else if (arg === '-A' || arg === '--all-namespaces') all = true;
    else if (arg === '-n' || arg === '--namespace') namespace = args[++i];
    else if (arg.startsWith('--namespace=')) namespace = arg.slice('--namespace='.length);
    else if (arg === '--kubeconfig') kubeconfig = args[++i];
    else if (arg.startsWith('--kubeconfig=')) kubeconfig = arg.slice('--kubeconfig='.length);
    else {
      io.stderr(`secretsource status: unknown argument ${JSON.stringify(arg)}\n${STATUS_USAGE}`);
      return 2;
    }
  }
  if ((all && namespace !== undefined) || namespace === '' || kubeconfig === '') {
    io.stderr(STATUS_USAGE);
    return 2;
  }
  const kc = new k8s.KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const inNamespace = namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const list = (
    all
      ? await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'secretsources' })
      : await custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: inNamespace,
          plural: 'secretsources',
        })
  ) as { items: SecretSource[] };
  if (list.items.length === 0) {
    io.stderr(all ? 'No SecretSources found.\n' : `No SecretSources found in namespace ${inNamespace}.\n`);
    return 0;
  }
  io.stdout(formatTable(sortRows(list.items.map(statusRow)), all));
  return 0;
}
