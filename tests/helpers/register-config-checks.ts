// Test setup (vitest setupFiles): register every capability's config rules with the loader, as the
// CLI does before it reads a config, so a test that calls loadConfig/parseConfigText directly sees
// the same rules a technician's `minegate config check` runs.
import { registerCapabilityConfigChecks } from '../../edge/capabilities.js';

registerCapabilityConfigChecks();
