/**
 * The Metrics port and the one list of what is measured. Adapters turn these into CloudWatch
 * embedded metric format (on AWS) or Prometheus text (locally), each keeping the names and units
 * given here, so a dashboard or alarm reads the same on both.
 */
export const Counters = {
  /** A version's index was put under its target tags (first publish or republish) with every required platform. */
  versionsPublished: 'VersionsPublished',
  /** Published while required platforms were missing (allowPartial, or onStale publish-partial). */
  versionsPartiallyPublished: 'VersionsPartiallyPublished',
  /** A reconcile pass found a version still waiting after its repository's staleAfter. */
  versionsStale: 'VersionsStale',
  /** A conflict was recorded (two images claim one platform, an immutable tag, a moved tag). */
  versionsInConflict: 'VersionsInConflict',
  /** A publish failed (it is retried). */
  versionsFailed: 'VersionsFailed',
  /** A registry call (ECR API or OCI HTTP) threw. */
  registryCallErrors: 'RegistryCallErrors',
  /** A DynamoDB call threw (a lost conditional write is not an error: it is an answer). */
  dynamoDbCallErrors: 'DynamoDbCallErrors',
} as const;
export type CounterName = (typeof Counters)[keyof typeof Counters];

export const Timings = {
  /** From the first push of a version's images to the publish of its index. */
  firstPushToPublish: 'FirstPushToPublishSeconds',
  /** From the last push (the one that completed the version) to the publish. */
  lastPushToPublish: 'LastPushToPublishSeconds',
  /** How old a push event is when on-image-push receives it (EventBridge `time` to now). */
  eventAge: 'EventAgeSeconds',
} as const;
export type TimingName = (typeof Timings)[keyof typeof Timings];

/** Counters count, timings are in seconds: the units both adapters declare. */
export const MetricUnits = { count: 'Count', seconds: 'Seconds' } as const;

export interface Metrics {
  /** Adds `value` (1 by default) to a counter. */
  count(name: CounterName, value?: number): void;
  /** Records one observation of a timing, in seconds. */
  observe(name: TimingName, seconds: number): void;
  /** Writes what was buffered, for adapters that buffer (EMF: once per Lambda invocation). */
  flush?(): void;
}

/** For dependencies built without metrics (most unit tests). */
export const noMetrics: Metrics = { count: () => undefined, observe: () => undefined };
