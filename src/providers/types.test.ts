import { longTimerContract } from '../kube/testing/long-timer-contract.js';
import { systemProviderClock } from './types.js';

describe('systemProviderClock: timers longer than 2^31-1 ms', () => {
  longTimerContract(systemProviderClock);
});
