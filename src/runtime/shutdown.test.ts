import { EventEmitter } from 'node:events';
import { FakeClock, flushPromises } from '../kube/clock.js';
import { onShutdownSignal, type ShutdownSignal, type SignalSource } from './shutdown.js';

class FakeProcess extends EventEmitter implements SignalSource {
  send(signal: ShutdownSignal): void {
    this.emit(signal, signal);
  }
}

function setup(cleanup: (signal: ShutdownSignal) => Promise<void>, timeoutMs = 1_000) {
  const proc = new FakeProcess();
  const clock = new FakeClock(0);
  const exits: number[] = [];
  const messages: string[] = [];
  const log = (_object: object, message: string): void => {
    messages.push(message);
  };
  const remove = onShutdownSignal(cleanup, {
    timeoutMs,
    process: proc,
    clock,
    exit: (code) => exits.push(code),
    logger: { info: log, warn: log, error: log },
  });
  return { proc, clock, exits, messages, remove };
}

describe('onShutdownSignal', () => {
  it('runs the cleanup once and exits 0 when it finishes', async () => {
    const calls: ShutdownSignal[] = [];
    let finishCleanup: () => void = () => undefined;
    const { proc, exits, clock } = setup(
      (signal) =>
        new Promise<void>((resolve) => {
          calls.push(signal);
          finishCleanup = resolve;
        }),
    );

    proc.send('SIGTERM');
    proc.send('SIGTERM');
    await flushPromises();
    expect(calls).toEqual(['SIGTERM']);
    expect(exits).toEqual([]);

    finishCleanup();
    await flushPromises();
    expect(exits).toEqual([0]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('exits 1 when the cleanup fails', async () => {
    const { proc, exits, messages } = setup(() => Promise.reject(new Error('lease release failed')));
    proc.send('SIGINT');
    await flushPromises();
    expect(exits).toEqual([1]);
    expect(messages).toContain('shutdown cleanup failed');
  });

  it('exits 1 at the hard timeout when the cleanup hangs, and only once', async () => {
    let finishCleanup: () => void = () => undefined;
    const { proc, exits, clock } = setup(
      () => new Promise<void>((resolve) => (finishCleanup = resolve)),
      5_000,
    );
    proc.send('SIGTERM');
    await clock.advanceAsync(4_999);
    expect(exits).toEqual([]);
    await clock.advanceAsync(1);
    expect(exits).toEqual([1]);
    finishCleanup();
    await flushPromises();
    expect(exits).toEqual([1]);
  });

  it('exits at once on a second SIGINT', async () => {
    const { proc, exits } = setup(() => new Promise<void>(() => undefined));
    proc.send('SIGINT');
    await flushPromises();
    proc.send('SIGINT');
    expect(exits).toEqual([1]);
  });

  it('can be removed', () => {
    const { proc, remove } = setup(() => Promise.resolve());
    expect(proc.listenerCount('SIGTERM')).toBe(1);
    remove();
    expect(proc.listenerCount('SIGTERM')).toBe(0);
    expect(proc.listenerCount('SIGINT')).toBe(0);
  });
});
