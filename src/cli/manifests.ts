// Reading manifests the way kubectl does: files, directories (their *.yaml, *.yml and *.json,
// recursively, in name order) and "-" for standard input (kustomize build | secretsource validate
// -f -); several YAML documents per file, and `kind: List` items. Each object keeps the file and
// line it starts at, for `file:line: message` output.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';

export interface ManifestDocument {
  file: string;
  /** 1-based line of the document (or List item) start. */
  line: number;
  object: unknown;
}

export interface ManifestSyntaxError {
  file: string;
  line: number;
  message: string;
}

export interface ReadManifests {
  documents: ManifestDocument[];
  errors: ManifestSyntaxError[];
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** Every file a list of -f arguments names; "-" stays "-" (standard input). */
export function manifestFiles(paths: readonly string[]): string[] {
  return paths.flatMap((entry) => {
    if (entry === '-') return ['-'];
    if (!statSync(entry).isDirectory()) return [entry];
    return readdirSync(entry, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((child) => {
        const full = path.join(entry, child.name);
        if (child.isDirectory()) return manifestFiles([full]);
        return MANIFEST_FILE.test(child.name) ? [full] : [];
      });
  });
}

export function parseManifests(file: string, text: string): ReadManifests {
  const lines = new LineCounter();
  const result: ReadManifests = { documents: [], errors: [] };
  for (const document of parseAllDocuments(text, { lineCounter: lines })) {
    const start = lines.linePos(document.range[0]).line;
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        result.errors.push({
          file,
          line: error.linePos?.[0]?.line ?? start,
          message: error.message.split('\n')[0]!,
        });
      }
      continue;
    }
    const object: unknown = document.toJS();
    if (object === null || object === undefined) continue;
    const list = object as { kind?: unknown; items?: unknown };
    if (list.kind === 'List' && Array.isArray(list.items)) {
      const items = (
        document.get('items', true) as { items?: { range?: [number, number, number] }[] } | undefined
      )?.items;
      list.items.forEach((item: unknown, index) => {
        const at = items?.[index]?.range?.[0];
        result.documents.push({
          file,
          line: at === undefined ? start : lines.linePos(at).line,
          object: item,
        });
      });
    } else {
      result.documents.push({ file, line: start, object });
    }
  }
  return result;
}
