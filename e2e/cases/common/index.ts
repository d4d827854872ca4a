// Every common case. Each reads only its own objects (names from CaseContext.name) and the metrics of
// its own SecretSources, so the order is free: any case passes alone, and the list reversed
// (E2E_REVERSE_CASES=1) passes too.
import type { CommonCase } from './case.js';
import { binaryValue, findByTags, pinnedVersion } from './capabilities.js';
import { deletionPolicies } from './deletion.js';
import { driftRepaired } from './drift.js';
import { missingPathThenWritten, refusedCredentials } from './failures.js';
import { operatorReadyWithoutLeaks } from './leaks.js';
import {
  forceSync,
  quietRefreshWritesNothing,
  refreshPicksUpChange,
  syncWithPropertyAndMap,
} from './sync.js';

export type { CaseContext, CommonCase } from './case.js';

export const COMMON_CASES: readonly CommonCase[] = [
  syncWithPropertyAndMap,
  refreshPicksUpChange,
  quietRefreshWritesNothing,
  forceSync,
  driftRepaired,
  missingPathThenWritten,
  deletionPolicies,
  pinnedVersion,
  findByTags,
  binaryValue,
  refusedCredentials,
  operatorReadyWithoutLeaks,
];
