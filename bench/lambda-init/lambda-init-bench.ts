import { basename, dirname, join, relative } from 'node:path';
import type { BuiltBundle } from '../bundles.ts';
import type { FunctionConfig, Invocation } from './bench-functions.ts';
import { type ColdStartSamples, type ColdStartTarget, coldStartRounds } from './cold-start-rounds.ts';
import {
  CHECK_HANDLER,
  compileCacheHandlerFiles,
  modulesNotFromCache,
  PACKAGED_CACHE_DIR,
  PRODUCED_CACHE_DIR,
  PRODUCER_HANDLER,
  packagedCacheFiles,
  TASK_ROOT,
} from './compile-cache.ts';
import { filesUnder, zipPackage } from './function-package.ts';

/** What the bench needs of Lambda: {@link BenchFunctions} on AWS; a local stand-in in the tests. */
export interface LambdaPort {
  create(name: string, zip: Uint8Array, config: FunctionConfig): Promise<void>;
  configure(name: string, config: FunctionConfig): Promise<void>;
  invoke(name: string): Promise<Invocation>;
  delete(name: string): Promise<void>;
}

export interface LambdaInitOptions {
  /** The SDK-only floor first, then each function, as bench/bundles.ts builds them. */
  readonly bundles: readonly BuiltBundle[];
  /** The project's root, which the bundles' start files are relative to (esbuild's metafile). */
  readonly root: string;
  readonly rounds: number;
  /** Also time each bundle with a compile cache produced on Lambda ({@link COMPILE_CACHE_VARIANT}). */
  readonly withCompileCache: boolean;
  /** Also time each bundle with these variables set, for every bundle alike (the floor's included): one variant each. */
  readonly environmentVariants?: readonly EnvironmentVariant[];
  /** What every function reads at load (without the AWS_ variables Lambda reserves). */
  readonly environment: Readonly<Record<string, string>>;
  /** Names every function of this run: `ma-init-<runId>-<bundle>`. */
  readonly runId: string;
  /** Where the package is unpacked ({@link TASK_ROOT} on Lambda) and where a function may write ({@link PRODUCED_CACHE_DIR}'s folder on Lambda). */
  readonly taskRoot?: string;
  readonly producedCacheDir?: string;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

/** A variant of every function that differs from the deployed one only by its environment (a malloc setting, say). */
export interface EnvironmentVariant {
  /** Its name in the report. */
  readonly name: string;
  /** Appended to each function's name: lower-case letters and digits. */
  readonly suffix: string;
  readonly environment: Readonly<Record<string, string>>;
}

/** The cold starts of every bundle deployed one way. */
export interface LambdaInitVariant {
  readonly name: string;
  readonly samples: ColdStartSamples;
  /** With the compile cache only: per bundle, the start files Lambda's node did not take from it, and the node that made the caches. */
  readonly compileCache?: { readonly notFromCache: ReadonlyMap<string, readonly string[]>; readonly node: string };
}

/** The deployed functions first ({@link PLAIN_VARIANT}), then each variant asked for. */
export interface LambdaInitResult {
  readonly variants: readonly LambdaInitVariant[];
}

export const PLAIN_VARIANT = 'as deployed';
const COMPILE_CACHE_SUFFIX = 'cc';
export const COMPILE_CACHE_VARIANT = 'with a compile cache';

/**
 * Deploys each bundle as a function, with its compile cache as a second function when asked,
 * starts them cold in rounds and returns their `Init Duration`s; deletes every function it made,
 * whatever happens. The compile cache is produced by the plain function itself (its handler switched
 * to the producer for one invocation) and checked by the cached one (its handler switched to the
 * check for one invocation): one function per bundle and variant, no more.
 */
export async function runLambdaInitBench(lambda: LambdaPort, options: LambdaInitOptions): Promise<LambdaInitResult> {
  const { bundles, environment, runId, taskRoot = TASK_ROOT, producedCacheDir = PRODUCED_CACHE_DIR } = options;
  const log = options.log ?? (() => {});
  // Checked before anything is deployed: a bad suffix would make an invalid or clashing function name.
  for (const variant of options.environmentVariants ?? [])
    if (!/^[a-z0-9]+$/.test(variant.suffix) || variant.suffix === COMPILE_CACHE_SUFFIX)
      throw new Error(`a variant's suffix must be lower-case letters and digits other than ${COMPILE_CACHE_SUFFIX}, not ${variant.suffix}`);
  const plainConfig: FunctionConfig = { handler: 'index.handler', environment };
  const withVariables = (variables: Readonly<Record<string, string>>): FunctionConfig => ({
    ...plainConfig,
    environment: { ...environment, ...variables },
  });
  const cachedConfig = withVariables({ NODE_COMPILE_CACHE: `${taskRoot}/${PACKAGED_CACHE_DIR}` });
  const nameOf = (bundle: BuiltBundle, suffix = '') => `ma-init-${runId}-${basename(dirname(bundle.file)).replace(/^bench-/, '')}${suffix}`;
  const packages = new Map(bundles.map((b) => [b.name, new Map([...filesUnder(dirname(b.file)), ...compileCacheHandlerFiles()])]));
  const created: string[] = [];

  const createFunction = async (name: string, files: ReadonlyMap<string, Uint8Array>, config: FunctionConfig) => {
    await lambda.create(name, zipPackage(files), config);
    created.push(name);
  };
  const invokeOrThrow = async (name: string, what: string): Promise<unknown> => {
    const invocation = await lambda.invoke(name);
    if (invocation.functionError !== undefined) throw new Error(`${what} (${name}) failed: ${invocation.payload}`);
    return JSON.parse(invocation.payload);
  };
  const cachedFunction = async (bundle: BuiltBundle) => {
    const plainName = nameOf(bundle);
    await lambda.configure(plainName, { ...withVariables({ NODE_COMPILE_CACHE: producedCacheDir }), handler: PRODUCER_HANDLER });
    const cache = packagedCacheFiles(await invokeOrThrow(plainName, `the compile-cache producer of ${bundle.name}`));
    await lambda.configure(plainName, plainConfig);
    const name = nameOf(bundle, `-${COMPILE_CACHE_SUFFIX}`);
    await createFunction(name, new Map([...(packages.get(bundle.name) ?? []), ...cache.files]), {
      ...cachedConfig,
      handler: CHECK_HANDLER,
    });
    const check = (await invokeOrThrow(name, `the compile-cache check of ${bundle.name}`)) as { log: string };
    const startFiles = bundle.startFiles.map((file) => relative(dirname(bundle.file), join(options.root, file)));
    const notFromCache = modulesNotFromCache(check.log, startFiles, taskRoot);
    await lambda.configure(name, cachedConfig);
    return {
      target: { label: bundle.name, functionName: name, config: cachedConfig } satisfies ColdStartTarget,
      notFromCache,
      node: cache.node,
    };
  };

  try {
    log(`creating ${bundles.length} functions…`);
    await settleAll(bundles.map((b) => createFunction(nameOf(b), packages.get(b.name) ?? new Map(), plainConfig)));
    const variants: { name: string; targets: ColdStartTarget[]; compileCache?: LambdaInitVariant['compileCache'] }[] = [
      { name: PLAIN_VARIANT, targets: bundles.map((b) => ({ label: b.name, functionName: nameOf(b), config: plainConfig })) },
    ];
    if (options.withCompileCache) {
      log('producing a compile cache for each on Lambda, and checking that Lambda takes it…');
      const results = await settleAll(bundles.map(cachedFunction));
      variants.push({
        name: COMPILE_CACHE_VARIANT,
        targets: results.map((r) => r.target),
        compileCache: { notFromCache: new Map(results.map((r) => [r.target.label, r.notFromCache])), node: results[0]?.node ?? '' },
      });
    }
    for (const variant of options.environmentVariants ?? []) {
      log(`creating the functions ${variant.name}…`);
      const config = withVariables(variant.environment);
      const targets = bundles.map((b) => ({ label: b.name, functionName: nameOf(b, `-${variant.suffix}`), config }));
      await settleAll(
        bundles.map((b, i) => createFunction((targets[i] as ColdStartTarget).functionName, packages.get(b.name) ?? new Map(), config)),
      );
      variants.push({ name: variant.name, targets });
    }
    const measured: LambdaInitVariant[] = [];
    for (const variant of variants) {
      log(`${options.rounds} rounds of cold starts, ${variant.name}…`);
      const samples = await coldStartRounds(lambda, variant.targets, options.rounds, options.signal);
      measured.push(
        variant.compileCache === undefined
          ? { name: variant.name, samples }
          : { name: variant.name, samples, compileCache: variant.compileCache },
      );
    }
    return { variants: measured };
  } finally {
    const deleted = await Promise.allSettled(created.map((name) => lambda.delete(name)));
    const left = created.filter((_, i) => deleted[i]?.status === 'rejected');
    if (left.length > 0) log(`could not delete ${left.join(', ')} (tagged manifest-assembler=bench-init): delete them by hand`);
  }
}

/**
 * Like Promise.all, but waits for every promise before it throws the first error: a function still
 * being created when another's creation fails must be in the list the clean-up deletes.
 */
async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}
