import { InMemoryVersionStore } from '../support/in-memory-version-store.ts';
import { describeVersionStoreContract } from './version-store.contract.ts';

describeVersionStoreContract('InMemoryVersionStore', async () => new InMemoryVersionStore());
