import { InvalidInputError } from './errors.ts';

/**
 * A platform as OCI indexes and image configs carry it, normalised the way containerd does.
 *
 * @see https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md#image-index-property-descriptions
 * @see https://github.com/containerd/platforms/blob/main/database.go
 */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  /** `os.version`: for Windows the build (`10.0.20348` or `10.0.20348.2227`). */
  readonly osVersion?: string;
  /** `os.features`, e.g. `win32k`. Not part of the platform's identity. */
  readonly osFeatures?: readonly string[];
}

const COMPONENT = /^[a-z0-9_.-]+$/;
const OS_VERSION = /^[A-Za-z0-9_.-]+$/;
// os[(os.version)]/architecture[/variant]
const PLATFORM_SYNTAX = /^([^/()]+)(?:\(([^()]*)\))?\/([^/]+)(?:\/([^/]+))?$/;

/**
 * Parses `os[(os.version)]/architecture[/variant]` and normalises it.
 *
 * `linux/arm64/v8` and `linux/aarch64` both give `linux/arm64`; `linux/arm` gives `linux/arm/v7`;
 * `linux/x86_64` gives `linux/amd64`. `unknown/unknown` (what BuildKit gives attestations) is not a platform.
 */
export function parsePlatform(text: string): Platform {
  const trimmed = text.trim();
  const match = PLATFORM_SYNTAX.exec(trimmed);
  if (!match) {
    throw new InvalidInputError(`"${text}" is not a platform: expected os[(os.version)]/architecture[/variant], e.g. linux/arm64`);
  }
  const [, os = '', osVersion, architecture = '', variant] = match;
  if (osVersion !== undefined && !OS_VERSION.test(osVersion)) {
    throw new InvalidInputError(`"${text}" is not a platform: os.version "${osVersion}" may hold only letters, digits, '.', '_' and '-'`);
  }
  const platform = normalisePlatform({
    os,
    architecture,
    ...(variant === undefined ? {} : { variant }),
    ...(osVersion === undefined || osVersion === '' ? {} : { osVersion }),
  });
  if (isUnknownPlatform(platform)) {
    throw new InvalidInputError(`"${text}" is not a platform: unknown/unknown marks attestations, not images`);
  }
  return platform;
}

/** Normalises os, architecture and variant as containerd does; checks each component's syntax. */
export function normalisePlatform(platform: Platform): Platform {
  const os = normaliseOs(checkComponent(platform.os, 'os', platform));
  const architecture = checkComponent(platform.architecture, 'architecture', platform);
  const variant = platform.variant === undefined || platform.variant === '' ? '' : checkComponent(platform.variant, 'variant', platform);
  const [arch, normalisedVariant] = normaliseArchitecture(architecture, variant);
  return {
    os,
    architecture: arch,
    ...(normalisedVariant === '' ? {} : { variant: normalisedVariant }),
    ...(platform.osVersion === undefined || platform.osVersion === '' ? {} : { osVersion: platform.osVersion }),
    ...(platform.osFeatures === undefined || platform.osFeatures.length === 0 ? {} : { osFeatures: [...platform.osFeatures].sort() }),
  };
}

/** `os[(os.version)]/architecture[/variant]`; the inverse of {@link parsePlatform}. */
export function formatPlatform(platform: Platform): string {
  const os = platform.osVersion ? `${platform.os}(${platform.osVersion})` : platform.os;
  return platform.variant ? `${os}/${platform.architecture}/${platform.variant}` : `${os}/${platform.architecture}`;
}

/** True for BuildKit's attestation pseudo-platform and anything else with an unknown os or architecture. */
export function isUnknownPlatform(platform: Pick<Platform, 'os' | 'architecture'>): boolean {
  return platform.os === 'unknown' || platform.architecture === 'unknown' || platform.os === '' || platform.architecture === '';
}

/** Two spellings of one platform are equal once normalised; `os.features` do not count. */
export function isSamePlatform(a: Platform, b: Platform): boolean {
  return formatPlatform(a) === formatPlatform(b);
}

/**
 * Whether an image of platform `actual` fulfils a required platform. Unlike equality, a requirement
 * without `os.version` accepts any build, and `windows(10.0.20348)/amd64` accepts `10.0.20348.2227`.
 */
export function satisfiesPlatform(actual: Platform, required: Platform): boolean {
  if (actual.os !== required.os || actual.architecture !== required.architecture) return false;
  if ((actual.variant ?? '') !== (required.variant ?? '')) return false;
  if (required.osVersion === undefined) return true;
  const version = actual.osVersion ?? '';
  return version === required.osVersion || version.startsWith(`${required.osVersion}.`);
}

/** The platform as OCI JSON: keys in the spec's order, so serialisation is deterministic. */
export function platformToJson(platform: Platform): Record<string, unknown> {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.osVersion ? { 'os.version': platform.osVersion } : {}),
    ...(platform.osFeatures && platform.osFeatures.length > 0 ? { 'os.features': [...platform.osFeatures] } : {}),
    ...(platform.variant ? { variant: platform.variant } : {}),
  };
}

/**
 * Reads the platform fields of an image config or an index descriptor's `platform`; undefined when
 * `os` or `architecture` is missing. The result is not normalised yet.
 */
export function platformFromJson(value: unknown): Platform | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { os, architecture, variant } = record;
  const osVersion = record['os.version'];
  const osFeatures = record['os.features'];
  if (typeof os !== 'string' || typeof architecture !== 'string' || os === '' || architecture === '') return undefined;
  return {
    os,
    architecture,
    ...(typeof variant === 'string' && variant !== '' ? { variant } : {}),
    ...(typeof osVersion === 'string' && osVersion !== '' ? { osVersion } : {}),
    ...(Array.isArray(osFeatures) && osFeatures.every((f) => typeof f === 'string') && osFeatures.length > 0
      ? { osFeatures: osFeatures as string[] }
      : {}),
  };
}

function checkComponent(value: string, name: string, platform: Platform): string {
  const lower = value.trim().toLowerCase();
  if (!COMPONENT.test(lower)) {
    throw new InvalidInputError(`platform ${JSON.stringify(platform)}: ${name} "${value}" may hold only letters, digits, '.', '_' and '-'`);
  }
  return lower;
}

function normaliseOs(os: string): string {
  return os === 'macos' ? 'darwin' : os;
}

// containerd/platforms normalizeArch, same table.
function normaliseArchitecture(architecture: string, variant: string): [string, string] {
  switch (architecture) {
    case 'i386':
      return ['386', ''];
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return ['amd64', variant === 'v1' ? '' : variant];
    case 'aarch64':
    case 'arm64':
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') return ['arm64', ''];
      if (variant === '9' || variant === '9.0' || variant === 'v9.0') return ['arm64', 'v9'];
      return ['arm64', variant];
    case 'armhf':
      return ['arm', 'v7'];
    case 'armel':
      return ['arm', 'v6'];
    case 'arm':
      if (variant === '' || variant === '7') return ['arm', 'v7'];
      if (variant === '5' || variant === '6' || variant === '8') return ['arm', `v${variant}`];
      return ['arm', variant];
    default:
      return [architecture, variant];
  }
}
