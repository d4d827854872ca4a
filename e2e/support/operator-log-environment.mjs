// The e2e tests' jest environment: when a test fails, the tail of the log of every operator the
// test file started is attached to the failure, so "timed out" comes with what the operator did.
// Operators register themselves (e2e/support/operator.ts) on the test global under
// OPERATOR_LOGS; only the operators' own logs are shown, and their logger never holds values.
import { TestEnvironment } from 'jest-environment-node';

const OPERATOR_LOGS = '__secretsourceOperatorLogs';
const TAIL_LINES = 60;

export default class OperatorLogEnvironment extends TestEnvironment {
  async handleTestEvent(event) {
    if (event.name !== 'test_done' || event.test.errors.length === 0) return;
    const logs = this.global[OPERATOR_LOGS];
    // A Map of the test's own realm (not this one's): read it by shape, not instanceof.
    if (!logs || typeof logs.entries !== 'function' || logs.size === 0) return;
    const sections = [...logs.entries()].map(([name, output]) => {
      const lines = String(output()).trimEnd().split('\n');
      const tail = lines.slice(-TAIL_LINES).join('\n');
      return `--- operator ${name}: last ${Math.min(TAIL_LINES, lines.length)} of ${lines.length} log lines ---\n${tail}`;
    });
    // An extra error on the failed test: jest prints it with the test's own failure.
    const error = new Error(`operator logs at the failure:\n${sections.join('\n')}`);
    error.stack = error.message;
    event.test.errors.push(error);
  }
}
