// What recording one push in the inbox costs, per store: the webhook's write (answer time) and the
// CPU it takes in the runner and in dynalite's process. Not part of `npm run bench`:
//   npx tsx bench/inbox-cost.ts [pushes=400]
// Pushes are recorded one at a time (distribution's one delivery lane), then removed in groups of 10
// (as the inbox's workers remove them during a burst); alternating stores, twice each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTable } from '../src/adapters/dynamodb/dynamodb-table.ts';
import { DynamoDbInbox } from '../src/adapters/inbox/dynamodb-inbox.ts';
import { JournalInbox } from '../src/adapters/inbox/journal-inbox.ts';
import { localDynamoClient } from '../src/composition-local.ts';
import { startDynaliteProcess } from '../src/local/dynalite/dynalite-process.ts';
import type { InboxStore } from '../src/local/inbox/registry-inbox.ts';
import { processCpuMs } from './process-cpu.ts';

const pushes = Number(process.argv[2] ?? 400);
const body = JSON.stringify({
  detail: { 'repository-name': 'bench/burst', 'image-tag': '1.0.0-amd64', 'image-digest': `sha256:${'a'.repeat(64)}` },
  pad: 'x'.repeat(400),
});
const work = mkdtempSync(join(tmpdir(), 'ma-inbox-cost-'));
const dynalite = await startDynaliteProcess(join(work, 'dynamodb'));
const client = localDynamoClient(dynalite.endpoint);
await ensureTable(client, 'local');

const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function measure(name: string, store: InboxStore, round: number) {
  const answers: number[] = [];
  const [self0, dyn0, t0] = [selfCpuMs(), processCpuMs(dynalite.pid), performance.now()];
  for (let i = 0; i < pushes; i++) {
    const started = performance.now();
    await store.add({ id: `${name}-${round}-${i}`, body, receivedAt: Date.now(), seq: i });
    answers.push(performance.now() - started);
    if (i % 10 === 9) await store.remove(Array.from({ length: 10 }, (_, k) => `${name}-${round}-${i - 9 + k}`));
  }
  const wall = performance.now() - t0;
  answers.sort((a, b) => a - b);
  const q = (p: number) => answers[Math.floor(p * (answers.length - 1))]?.toFixed(2);
  console.log(
    `${name.padEnd(8)} round ${round}: write p50 ${q(0.5)} ms p90 ${q(0.9)} ms; per push: wall ${(wall / pushes).toFixed(2)} ms, ` +
      `CPU this process ${((selfCpuMs() - self0) / pushes).toFixed(2)} ms + dynalite ${((processCpuMs(dynalite.pid) - dyn0) / pushes).toFixed(2)} ms`,
  );
}

const journal = await JournalInbox.open(join(work, 'inbox'));
const dynamo = new DynamoDbInbox({ client, tableName: 'local' });
for (let round = 1; round <= 2; round++) {
  await measure('dynalite', dynamo, round);
  await measure('journal', journal, round);
}
await journal.close();
client.destroy();
await dynalite.stop();
rmSync(work, { recursive: true, force: true });
