import fs from 'node:fs';
import path from 'node:path';
import { BOX_MODELS, DEFAULT_CONFIG_FILE, loadConfig, type ConfigOverrides } from '../../box/config.js';
import { BOX_DEFAULT_MODEL } from '../../model/config.js';
import { exitOnSignals } from '../../box/lifecycle.js';
import { processLogs } from '../../support/log.js';
import { runBox, type RunningBox } from '../../box/run.js';
import { SystemdWatchdog } from '../../box/watchdog.js';
import { PROJECT_ROOT } from '../../paths.js';
import { stringOption, type Command, integerOption } from '../command.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'Runs the groove box (hardware where found, the virtual front panel for the rest)',
  usage: `groovebox start [options]
  --config FILE     config file (default ${DEFAULT_CONFIG_FILE}; missing = defaults)
  --port P          virtual front panel port (default 8080; 0 = any free port)
  --host H          panel address to bind (default 127.0.0.1; anything else needs --token)
  --token T         shared secret for the panel (at least 16 characters)
  --simulate        use only the virtual panel's devices, even on a Pi
  --state-dir DIR   slots and working state (default /var/lib/groovebox, or <project>/.state without a config file)
  --model NAME      ${BOX_MODELS.join(', ')} (default ${BOX_DEFAULT_MODEL})
  --autoplay        start playing at boot`,
  options: {
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
    simulate: { type: 'boolean' },
    'state-dir': { type: 'string' },
    model: { type: 'string' },
    autoplay: { type: 'boolean' },
  },
  async run({ values }) {
    const logs = processLogs();
    const log = logs('box');
    const file = path.resolve(stringOption(values, 'config') ?? DEFAULT_CONFIG_FILE);
    const overrides: ConfigOverrides = {
      port: values.port === undefined ? undefined : integerOption(values, 'port', 8080, 0, 65535),
      host: stringOption(values, 'host'),
      token: stringOption(values, 'token'),
      simulate: values.simulate === true,
      stateDir: stringOption(values, 'state-dir'),
      model: stringOption(values, 'model'),
      autoplay: values.autoplay === true,
    };
    // A laptop has no /etc/groovebox and cannot write /var/lib: `npm start` keeps its state in the project.
    if (overrides.stateDir === undefined && !fs.existsSync(file))
      overrides.stateDir = path.join(PROJECT_ROOT, '.state');
    const config = loadConfig(file, overrides, (m) => log.info(m));
    log.info(`config from ${config.source}; state in ${config.stateDir}`);

    let running: RunningBox | null = null;
    const watchdog = SystemdWatchdog.fromEnvironment(log);
    exitOnSignals({
      log,
      shutdown: async () => {
        // A signal during boot: nothing plays yet and nothing new was made; the boot's own state stays on disk.
        await running?.close();
        await watchdog?.stop();
      },
    });
    running = await runBox(config, logs);
    watchdog?.ready(`ready in ${Math.round(running.readyMs)} ms${running.url ? `, panel at ${running.url}` : ''}`);
  },
};
