// ListWatchSource over a real API server, with @kubernetes/client-node 2.x: a paged list through
// the library's authenticated fetch, and its Watch class for the stream. Tested in e2e/.

import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  Watch,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { ListWatchSource, WatchEventType } from './informer.js';

export interface KubeListWatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Items per list page. Default 500. */
  pageSize?: number;
  /** Ask the server to end each watch after this long; the informer then re-watches. Default 300 s. */
  watchTimeoutSeconds?: number;
  /**
   * The Watch class aborts a stream that is silent for 30 s, shorter than the API server's bookmark
   * interval; we raise it so idle watches are not torn down needlessly. Default 150 s.
   */
  watchInactivityTimeoutMs?: number;
}

/** A non-2xx answer from the API server. The message is the server's Status message. */
export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly reason: string | undefined;

  constructor(path: string, statusCode: number, status: { message?: unknown; reason?: unknown } | undefined) {
    const detail = typeof status?.message === 'string' ? status.message : `HTTP ${statusCode}`;
    super(`GET ${path}: ${detail}`);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = typeof status?.reason === 'string' ? status.reason : undefined;
  }
}

interface ListPage<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

const WATCH_EVENT_TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/**
 * path is the collection, e.g. '/api/v1/secrets' or '/apis/secretsource.dev/v1alpha1/secretsources'
 * (or a namespaced one, '/api/v1/namespaces/x/secrets').
 */
export function kubeListWatch<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  opts: KubeListWatchOptions = {},
): ListWatchSource<T> {
  const http = new IsomorphicFetchHttpLibrary();
  const selectors = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };

  async function getPage(
    query: Record<string, string | undefined>,
    signal: AbortSignal,
  ): Promise<ListPage<T>> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server + path);
    for (const [name, value] of Object.entries(query)) if (value) url.searchParams.set(name, value);
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setSignal(signal);
    await kc.applySecurityAuthentication(ctx);
    const response = await http.send(ctx).toPromise();
    const body = await response.body.text();
    const parsed = parseJson(body);
    if (response.httpStatusCode < 200 || response.httpStatusCode >= 300) {
      throw new KubeApiError(path, response.httpStatusCode, parsed as { message?: unknown } | undefined);
    }
    if (typeof parsed !== 'object' || parsed === null) throw new Error(`GET ${path}: response is not a list`);
    return parsed as ListPage<T>;
  }

  return {
    async list(signal) {
      const items: T[] = [];
      let resourceVersion = '';
      let continueToken: string | undefined;
      do {
        const page = await getPage(
          { ...selectors, limit: String(opts.pageSize ?? 500), continue: continueToken },
          signal,
        );
        // Items in a list carry no kind/apiVersion; restore them so cached objects look like watched ones.
        const kind = page.kind?.replace(/List$/, '');
        for (const item of page.items ?? []) {
          items.push({ ...item, apiVersion: item.apiVersion ?? page.apiVersion, kind: item.kind ?? kind });
        }
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        continueToken = page.metadata?.continue || undefined;
      } while (continueToken);
      return { items, resourceVersion };
    },

    watch(resourceVersion, allowBookmarks, onEvent, signal) {
      return new Promise<void>((resolve, reject) => {
        const watch = new Watch(kc);
        const internals = watch as unknown as { requestTimeoutMs?: unknown };
        if (typeof internals.requestTimeoutMs === 'number') {
          internals.requestTimeoutMs = opts.watchInactivityTimeoutMs ?? 150_000;
        }
        let stream: AbortController | undefined;
        const onAbort = (): void => stream?.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        const query = {
          ...selectors,
          resourceVersion,
          allowWatchBookmarks: allowBookmarks,
          timeoutSeconds: opts.watchTimeoutSeconds ?? 300,
        };
        const onLine = (type: string, obj: unknown): void => {
          if (WATCH_EVENT_TYPES.has(type)) onEvent(type as WatchEventType, obj);
        };
        const done = (err: unknown): void => {
          signal.removeEventListener('abort', onAbort);
          if (err === null || err === undefined) resolve();
          else reject(err);
        };
        watch.watch(path, query, onLine, done).then(
          (controller) => {
            stream = controller;
            if (signal.aborted) controller.abort();
          },
          (err: unknown) => done(err),
        );
      });
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
