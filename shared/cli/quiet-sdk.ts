/**
 * Import this first in a script that loads the AWS SDK. The deployed functions run on nodejs22.x;
 * the SDK's notice about this machine's Node 20 is noise here. A module of its own, because
 * imports are evaluated before the body of the module that imports them (ES module semantics,
 * whatever tsx compiles to): a line in the script's body could come too late.
 */
export const SDK_NOTICE_OFF = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

process.env[SDK_NOTICE_OFF] ??= 'true';
