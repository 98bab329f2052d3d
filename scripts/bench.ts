/** `npm run bench`: the command is bench/command.ts. */
import '../shared/cli/quiet-sdk';
import { runBench } from '../bench/command';
import { main } from '../shared/cli/command';

main(() => runBench(process.argv.slice(2)));
