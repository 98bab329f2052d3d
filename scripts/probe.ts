/** `node --import tsx scripts/probe.ts (the experiments' probes)`: the command is chaos/cli/probe-command.ts. */
import '../shared/cli/quiet-sdk';
import { runProbe } from '../chaos/cli/probe-command';
import { main } from '../shared/cli/command';

main(() => runProbe(process.argv.slice(2)));
