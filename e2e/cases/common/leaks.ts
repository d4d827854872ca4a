// The last common case: the operator is healthy after all of them and printed no generated value.
import type { CommonCase } from './case.js';

export const operatorReadyWithoutLeaks: CommonCase = {
  title: 'the operator is ready and its output holds no generated value',
  async run(c) {
    const response = await fetch(`${c.fx.operator.healthUrl}/readyz`);
    expect(response.status).toBe(200);
    const output = c.fx.operator.output();
    expect(output).toContain('became leader');
    expect(c.fx.leaked()).toBe(0);
  },
};
