// The three CustomResourceDefinitions, built from schema.ts. generate.ts writes them to crds/ and
// config/crd/bases/.
import { orList } from './schema-builders.js';
import { ALL_KINDS, GROUP, PLURALS, VERSION, type Kind } from './names.js';
import { BACKENDS, KINDS, objectSchema, type JSONSchemaProps } from './schema.js';

export { ALL_KINDS, PLURALS } from './names.js';

export const SHORT_NAMES: Readonly<Record<Kind, readonly string[]>> = {
  SecretSource: ['ss'],
  SecretProvider: ['sp'],
  ClusterSecretProvider: ['csp'],
};

/**
 * `kubectl get secretsource-all` lists every kind. Not any kind's singular, plural or short name:
 * kubectl expands a category before names, so `secretsource` would make `kubectl describe
 * secretsource NAME` ask for three kinds at once.
 */
export const CATEGORY = 'secretsource-all';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer' | 'number' | 'boolean';
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: 'Namespaced' | 'Cluster';
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JSONSchemaProps };
    }>;
  };
}

const READY = '.status.conditions[?(@.type=="Ready")]';

const readyColumns: PrinterColumn[] = [
  {
    name: 'Ready',
    type: 'string',
    jsonPath: `${READY}.status`,
    description: 'Whether the Ready condition is True.',
  },
  {
    name: 'Reason',
    type: 'string',
    jsonPath: `${READY}.reason`,
    description: 'Reason of the Ready condition.',
    priority: 1,
  },
];

const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created.',
};

const backendColumn: PrinterColumn = {
  name: 'Backend',
  type: 'string',
  jsonPath: '.status.backend',
  description: `${orList(BACKENDS)}.`,
};

const PRINTER_COLUMNS: Readonly<Record<Kind, PrinterColumn[]>> = {
  SecretSource: [
    ...readyColumns,
    { name: 'Provider', type: 'string', jsonPath: '.spec.providerRef.name', description: 'Provider used.' },
    { name: 'Target', type: 'string', jsonPath: '.status.targetName', description: 'Secret written.' },
    {
      name: 'Last Sync',
      type: 'date',
      jsonPath: '.status.lastSyncTime',
      description: 'Time of the last sync.',
    },
    {
      name: 'Next Refresh',
      // kubectl prints "<invalid>" for a date column in the future; show the timestamp instead.
      type: 'string',
      jsonPath: '.status.nextRefreshTime',
      description: 'Time the next refresh is due.',
    },
    ageColumn,
  ],
  SecretProvider: [...readyColumns, backendColumn, ageColumn],
  ClusterSecretProvider: [...readyColumns, backendColumn, ageColumn],
};

export function buildCrd(kind: Kind): CustomResourceDefinition {
  const plural = PLURALS[kind];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        shortNames: [...SHORT_NAMES[kind]],
        categories: [CATEGORY],
      },
      scope: KINDS[kind].namespaced ? 'Namespaced' : 'Cluster',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: PRINTER_COLUMNS[kind],
          schema: { openAPIV3Schema: objectSchema(kind, 'crd') },
        },
      ],
    },
  };
}

export function buildCrds(): CustomResourceDefinition[] {
  return ALL_KINDS.map(buildCrd);
}
