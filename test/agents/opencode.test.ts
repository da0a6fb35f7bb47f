// The real opencode CLI through its adapter against the fake model server (see suite.ts).
import { cliSuite } from './suite';

cliSuite('opencode');
