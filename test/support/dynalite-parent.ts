// A parent for dynalite's child process, for test/local/dynalite/dynalite-process.int.test.ts: it
// starts dynalite on the folder given as its argument, prints `<child pid> <endpoint>` and waits to
// be killed. Run as `node --import tsx test/support/dynalite-parent.ts <folder>` (not through the
// tsx CLI, which would put a process of its own between the test and this one).
import { startDynaliteProcess } from '../../src/local/dynalite/dynalite-process.ts';

const folder = process.argv[2];
if (folder === undefined) throw new Error('usage: dynalite-parent.ts <LevelDB folder>');
const dynalite = await startDynaliteProcess(folder);
process.stdout.write(`${dynalite.pid} ${dynalite.endpoint}\n`);
setInterval(() => {}, 60_000);
