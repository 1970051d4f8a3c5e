// ambit-ipam: a host-local-style IPAM plugin binary (started by bin/ambit-ipam).
import { runCni } from './protocol/harness.ts';
import { ipamHandlers } from './ipam/verbs.ts';

await runCni(ipamHandlers);
