// How much rendering one Secret build may do. Templates render synchronously on the operator's
// only thread, so every template of one build draws on one budget: time measured at each LiquidJS
// render step (each tag, output and loop iteration), and allocations as LiquidJS counts them
// (range items, array items, string lengths). The time budget bounds the steps; the allocation
// budget bounds what one step can cost (a sort or join over a million items is one step).
// docs/adr/0011-bounded-template-rendering.md says why these numbers and not a worker thread.
import { SecretTemplateError } from './errors.js';

/** Rendering time all templates of one Secret build may use together. */
export const RENDER_BUDGET_MS = 250;
/** LiquidJS allocation units (items, characters) all templates of one build may use: 2× the largest Secret. */
export const RENDER_MEMORY_BUDGET = 2 * 1024 * 1024;

export interface RenderBudgetOptions {
  /** Milliseconds from a monotonic clock; performance.now by default, injected by tests. */
  now?: () => number;
  timeMs?: number;
  memory?: number;
}

/** Thrown inside LiquidJS when the budget is spent; reported as the template's InvalidTemplate. */
export class RenderBudgetExceeded extends Error {
  override readonly name = 'RenderBudgetExceeded';
}

/** What LiquidJS calls on its render and memory limiters. */
export interface Limiter {
  check(count: number): void;
  use(count: number): void;
}

/** The budget of one Secret build. Only time spent inside renders counts. */
export class RenderBudget {
  readonly #now: () => number;
  readonly #timeMs: number;
  readonly #memory: number;
  #spentMs = 0;
  #started: number | undefined;
  #allocated = 0;

  constructor(options: RenderBudgetOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#timeMs = options.timeMs ?? RENDER_BUDGET_MS;
    this.#memory = options.memory ?? RENDER_MEMORY_BUDGET;
  }

  /**
   * Runs one render of the template `where` and charges its time. Refused at once, naming the
   * template, when earlier renders spent the budget; errors of `render` pass through.
   */
  run<T>(where: string, render: () => T): T {
    this.#started = this.#now();
    try {
      try {
        this.step();
      } catch (error) {
        if (error instanceof RenderBudgetExceeded)
          throw new SecretTemplateError(`${where}: ${error.message}`, where);
        throw error;
      }
      return render();
    } finally {
      this.#spentMs += this.#now() - this.#started;
      this.#started = undefined;
    }
  }

  /** One render step (LiquidJS calls it before each tag, output and loop iteration). */
  step(): void {
    const running = this.#started === undefined ? 0 : this.#now() - this.#started;
    if (this.#spentMs + running > this.#timeMs) {
      throw new RenderBudgetExceeded(
        `the templates of this Secret used up their render budget (${this.#timeMs} ms); make them lighter or split them over several SecretSources`,
      );
    }
  }

  /**
   * The limiters LiquidJS calls: `check` at each render step, `use` for each allocation. A probe
   * (an expression evaluated only to see whether it yields binary bytes, then rendered for real)
   * spends time but keeps its own allocation count, so the render after it is not charged twice.
   */
  limiters({ probe = false } = {}): { renderLimit: Limiter; memoryLimit: Limiter } {
    let probed = 0;
    return {
      renderLimit: { check: () => this.step(), use: () => {} },
      memoryLimit: {
        check: () => {},
        use: (count) => {
          if (!(+count > 0)) return;
          const total = probe ? (probed += +count) : (this.#allocated += +count);
          // LiquidJS's own wording first, so the message reads as before for one heavy template.
          if (total > this.#memory) {
            throw new RenderBudgetExceeded(
              `memory alloc limit exceeded (${this.#memory} items for all templates of this Secret)`,
            );
          }
        },
      },
    };
  }
}
