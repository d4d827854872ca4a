// Every common case, in the order they run: the quiet-refresh case comes before any case that leaves
// a SecretSource failing (and retrying) behind, and the leak check comes last.
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
