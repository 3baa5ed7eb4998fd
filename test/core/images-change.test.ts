import { describe, expect, it } from 'vitest';
import { type ImagesPlan, planImagesChange } from '../../src/core/images-change.ts';
import { attestationFor, digestOf, record, recordedImage } from './fixtures.ts';

const amd64 = recordedImage('linux/amd64', { tag: '2.7-amd64' });
const arm64 = recordedImage('linux/arm64', { tag: '2.7-arm64' });
const arm64Rebuild = recordedImage('linux/arm64', { tag: '2.7-arm64', build: 'b2', pushedAt: '2026-11-27T11:00:00.000Z' });
const arm64OtherTag = recordedImage('linux/arm64', { tag: '2.7-aarch64', build: 'b9' });

describe('planImagesChange', () => {
  const cases: Array<{
    name: string;
    current: ReturnType<typeof record> | undefined;
    tag: string;
    incoming: ReturnType<typeof recordedImage>[];
    replaceable?: string[];
    want: ImagesPlan;
  }> = [
    {
      name: 'a new version',
      current: undefined,
      tag: '2.7-amd64',
      incoming: [amd64],
      want: { kind: 'change', change: { set: [amd64], remove: [] } },
    },
    {
      name: 'a new platform',
      current: record([amd64]),
      tag: '2.7-arm64',
      incoming: [arm64],
      want: { kind: 'change', change: { set: [arm64], remove: [] } },
    },
    { name: 'the same image again', current: record([amd64, arm64]), tag: '2.7-arm64', incoming: [arm64], want: { kind: 'unchanged' } },
    {
      name: 'the same image again, later (its first pushedAt counts, nothing changes)',
      current: record([arm64]),
      tag: '2.7-arm64',
      incoming: [{ ...arm64, pushedAt: '2026-11-28T00:00:00.000Z' }],
      want: { kind: 'unchanged' },
    },
    {
      name: 'a rebuild under the same tag',
      current: record([amd64, arm64]),
      tag: '2.7-arm64',
      incoming: [arm64Rebuild],
      want: { kind: 'change', change: { set: [arm64Rebuild], remove: [] } },
    },
    {
      name: 'the same image now with an attestation (buildx index around it)',
      current: record([arm64]),
      tag: '2.7-arm64',
      incoming: [
        { ...arm64, sourceDigest: digestOf('index'), attestations: [attestationFor(arm64)], pushedAt: '2026-11-28T00:00:00.000Z' },
      ],
      want: {
        kind: 'change',
        change: {
          set: [{ ...arm64, sourceDigest: digestOf('index'), attestations: [attestationFor(arm64)], pushedAt: arm64.pushedAt }],
          remove: [],
        },
      },
    },
    {
      name: 'another tag claiming the platform with another image',
      current: record([arm64]),
      tag: '2.7-aarch64',
      incoming: [arm64OtherTag],
      want: { kind: 'contested', existing: arm64, incoming: arm64OtherTag },
    },
    {
      name: 'another tag with the same image (the first tag keeps it)',
      current: record([arm64]),
      tag: '2.7-aarch64',
      incoming: [{ ...arm64, tag: '2.7-aarch64' }],
      want: { kind: 'unchanged' },
    },
    {
      name: 'another tag whose holder moved on (replaceable)',
      current: record([arm64]),
      tag: '2.7-aarch64',
      incoming: [arm64OtherTag],
      replaceable: ['linux/arm64'],
      want: { kind: 'change', change: { set: [arm64OtherTag], remove: [] } },
    },
    {
      name: 'a tag that now holds another platform gives the old one up',
      current: record([amd64, arm64]),
      tag: '2.7-arm64',
      incoming: [recordedImage('linux/arm/v7', { tag: '2.7-arm64' })],
      want: { kind: 'change', change: { set: [recordedImage('linux/arm/v7', { tag: '2.7-arm64' })], remove: ['linux/arm64'] } },
    },
    {
      name: 'a multi-platform tag that drops one of its platforms',
      current: record([recordedImage('linux/amd64', { tag: 'multi-x' }), recordedImage('linux/arm64', { tag: 'multi-x' })]),
      tag: 'multi-x',
      incoming: [recordedImage('linux/amd64', { tag: 'multi-x' })],
      want: { kind: 'change', change: { set: [], remove: ['linux/arm64'] } },
    },
  ];
  for (const { name, current, tag, incoming, replaceable, want } of cases) {
    it(name, () => expect(planImagesChange(current, tag, incoming, new Set(replaceable ?? []))).toEqual(want));
  }
});
