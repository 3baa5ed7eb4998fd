import { describe, expect, it } from 'vitest';
import type { FunctionConfig, Invocation } from '../../../bench/lambda-init/bench-functions.ts';
import { type ColdStartPort, coldStartRounds, overFloor } from '../../../bench/lambda-init/cold-start-rounds.ts';

/** Lambda as the rounds see it: a configuration change starts the next invocation cold, with the Init Duration given per function and round. */
class FakeLambda implements ColdStartPort {
  readonly calls: string[] = [];
  readonly #changed = new Set<string>();
  readonly #lastValue = new Map<string, string | undefined>();
  #round = 0;
  constructor(
    readonly initMs: (name: string, round: number) => number,
    readonly staysWarm: (name: string, round: number) => boolean = () => false,
  ) {}

  async configure(name: string, config: FunctionConfig): Promise<void> {
    const value = config.environment.BENCH_COLD_START;
    this.calls.push(`configure ${name} ${value}`);
    if (value !== this.#lastValue.get(name)) this.#changed.add(name);
    this.#lastValue.set(name, value);
    this.#round = Number(value);
  }

  async invoke(name: string): Promise<Invocation> {
    this.calls.push(`invoke ${name}`);
    const cold = this.#changed.delete(name) && !this.staysWarm(name, this.#round);
    const report = { durationMs: 1, maxMemoryUsedMb: 80 };
    return { report: cold ? { ...report, initDurationMs: this.initMs(name, this.#round) } : report, payload: '{}' };
  }
}

const config = { handler: 'index.handler', environment: { TABLE_NAME: 'bench' } };
const targets = ['floor', 'push', 'api'].map((label) => ({ label, functionName: `fn-${label}`, config }));

describe('coldStartRounds', () => {
  it('changes every function before it invokes any, and starts each round with the next function', async () => {
    const lambda = new FakeLambda(() => 100);
    await coldStartRounds(lambda, targets, 2);
    expect(lambda.calls).toEqual([
      'configure fn-floor 0',
      'configure fn-push 0',
      'configure fn-api 0',
      'invoke fn-floor',
      'invoke fn-push',
      'invoke fn-api',
      'configure fn-floor 1',
      'configure fn-push 1',
      'configure fn-api 1',
      'invoke fn-push',
      'invoke fn-api',
      'invoke fn-floor',
    ]);
  });

  it("keeps each round's Init Durations paired, and drops a round in which any invocation was warm", async () => {
    const init = (name: string, round: number) => (name === 'fn-floor' ? 200 : 203) + round;
    const lambda = new FakeLambda(init, (name, round) => name === 'fn-api' && round === 1);
    const samples = await coldStartRounds(lambda, targets, 3);
    expect(samples.droppedRounds).toBe(1);
    expect(Object.fromEntries(samples.initMs)).toEqual({ floor: [200, 202], push: [203, 205], api: [203, 205] });
    expect(overFloor(samples, 'push', 'floor').median).toBe(3);
  });

  it('stops after the round in which it was aborted', async () => {
    const stop = new AbortController();
    const lambda = new FakeLambda((_name, round) => {
      if (round === 1) stop.abort();
      return 100;
    });
    const samples = await coldStartRounds(lambda, targets, 10, stop.signal);
    expect(samples.initMs.get('floor')).toHaveLength(2);
  });
});

describe('overFloor', () => {
  it('takes the median of the per-round differences, not the difference of the medians', () => {
    const samples = {
      initMs: new Map([
        ['floor', [100, 300, 200]],
        ['push', [104, 302, 205]],
      ]),
      droppedRounds: 0,
    };
    expect(overFloor(samples, 'push', 'floor').median).toBe(4);
  });

  it('refuses lists that are not paired by round', () => {
    const samples = {
      initMs: new Map([
        ['floor', [100, 300]],
        ['push', [104]],
      ]),
      droppedRounds: 0,
    };
    expect(() => overFloor(samples, 'push', 'floor')).toThrow(/push has 1 rounds, floor 2: not paired/);
  });
});
