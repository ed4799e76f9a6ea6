// `minegate sim --scenario <file>`: load a scenario, bring the simulated substation up, say where.
import { resolve } from 'node:path';
import { loadScenario } from './scenario.js';
import { type StartOptions, SubstationSimulator } from './substation-sim.js';

/**
 * Start the simulated substation described by a scenario file. Scenario problems throw ScenarioError
 * (every issue with file:line:column); a port in use or a missing socat throws SimulatorError.
 * The caller owns the returned simulator and must stop() it.
 */
export async function runSimulator(scenarioFile: string, log: (line: string) => void, start: StartOptions = {}): Promise<SubstationSimulator> {
  if (typeof scenarioFile !== 'string' || scenarioFile.length === 0) {
    throw new TypeError(`runSimulator: scenarioFile must be a file path, got ${JSON.stringify(scenarioFile)}`);
  }
  if (typeof log !== 'function') throw new TypeError(`runSimulator: log must be a function, got ${typeof log}`);
  const file = resolve(scenarioFile);
  const scenario = loadScenario(file);
  log(`scenario "${scenario.name}" (${file}): ${scenario.buses.length} bus(es), ${scenario.events.length} timed event(s)`);
  const sim = new SubstationSimulator(scenario, { log });
  await sim.start(start);
  log(start.resume ? `simulated substation running, resumed at t=${start.resume.time.toFixed(1)} s` : 'simulated substation running');
  return sim;
}
