// Stands in for `claude -p … --output-format stream-json` signed in with the user's own login, so
// the example runs offline: it calls ANTHROPIC_BASE_URL with its own sign-in and prints stream-json.
import { demoChildAgent } from '@drawdown/cli';

process.exitCode = await demoChildAgent(process.env, process.argv.slice(2));
