// Imported first: zod's JIT probes `new Function`, which the page's Content-Security-Policy
// forbids (and logs as an error). Schemas parse at import time, so this must run before them.
import { z } from 'zod';

z.config({ jitless: true });
