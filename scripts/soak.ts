/** `npm run soak`: the command is bench/soak-command.ts. */
import '../shared/cli/quiet-sdk';
import { runSoak } from '../bench/soak-command';
import { main } from '../shared/cli/command';

main(() => runSoak(process.argv.slice(2)));
