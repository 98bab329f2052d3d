/** `npm run demo`: the command is chaos/cli/demo-command.ts. */
import '../shared/cli/quiet-sdk';
import { runDemoCommand } from '../chaos/cli/demo-command';
import { startRuntimeThread } from '../offline/runtime/thread';
import { main } from '../shared/cli/command';

main(() => runDemoCommand(process.argv.slice(2), startRuntimeThread));
