import { FailureLogThrottle } from './failure-log-throttle.js';

describe('FailureLogThrottle', () => {
  it('reports the first failure, then the same one only once per interval, with the count', () => {
    const throttle = new FailureLogThrottle(60_000);
    expect(throttle.failed('refused', 0)).toEqual({ failedAttempts: 1 });
    expect(throttle.failed('refused', 2_000)).toBeUndefined();
    expect(throttle.failed('refused', 59_999)).toBeUndefined();
    expect(throttle.failed('refused', 60_000)).toEqual({ failedAttempts: 4 });
    expect(throttle.failed('refused', 61_000)).toBeUndefined();
  });

  it('reports a different failure at once', () => {
    const throttle = new FailureLogThrottle(60_000);
    throttle.failed('refused', 0);
    expect(throttle.failed('not found', 1_000)).toEqual({ failedAttempts: 2 });
    expect(throttle.failed('refused', 2_000)).toEqual({ failedAttempts: 3 });
  });

  it('a success ends the run and says how long it was', () => {
    const throttle = new FailureLogThrottle(60_000);
    expect(throttle.succeeded()).toBe(0);
    throttle.failed('refused', 0);
    throttle.failed('refused', 1_000);
    expect(throttle.succeeded()).toBe(2);
    expect(throttle.failed('refused', 2_000)).toEqual({ failedAttempts: 1 });
  });
});
