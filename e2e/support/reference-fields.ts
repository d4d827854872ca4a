// Every field of the v1alpha1 API that names another Kubernetes object, found by walking the
// schemas (src/api/v1alpha1/reference-fields.ts, which `make manifests` also generates the
// admission policy's list and reference-specs.ts from), so the isolation and admission tests cover
// a field added later or fail.
export { referenceFields, type ReferenceField } from '../../src/api/v1alpha1/reference-fields.js';
