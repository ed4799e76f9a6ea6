// The clauses each safety rule implements, cited in every hold and event it produces so an
// inspector can trace an action to its requirement. Tags follow domain.md: [V] verified in a
// source, [S] secondary, [I] inference to be verified.
export const CLAUSES = {
  /** Threshold rows cite their own preset source; this is the fallback for custom thresholds. */
  customThreshold: 'site-specific thresholds (config, no preset row)',
  interlockD: 'AQ 6201 methane-wind-power interlock clause d: local fan stopped or duct airflow low → cut the ventilated area [I]',
  interlockE: 'AQ 6201 methane-wind-power interlock clause e: fan stopped and T1/T2 > 3.0 % → fan lock, release < 1.5 % or manual [I]',
  interlockF: 'AQ 6201 interlock clause f / 煤矿安全规程 fault lockout (故障闭锁): hold 1 min after recovery, never the local fan [I]',
  fanRestart: 'local fan restart permit: CH4 ≤ 0.5 % within 10 m of the fan and its switch [S33]',
  interlockG: 'AQ 6201 interlock clause g: main/standby local fans switch over automatically when the running one stops [I]',
  fanCutoff: 'second stage of the row: the local fan of the zones is cut too (series heading T3 ≥ 1.5 %, restore < 0.5 %)',
  feed: 'AQ 1029-2019 §7.12 feed sensors: cut-off not confirmed on the load side = 馈电异常 (MT/T 1201 abnormality 003)',
  remoteCut: 'AQ 6201-2019 §4.7.5 remote cut-off (异地断电), ≤ 2 × max patrol cycle',
  startup: 'fail-safe restart: outputs stay cut until every governing point is freshly read (AQ 6201-2019 §4.7.4 patrol ≤ 30 s)',
  evacuation: 'AQ 1029-2019 §4.6 emergency linkage: cut-off needing evacuation (撤人)',
  actuation: 'AQ 6201-2019: cut-off execution ≤ 2 s; an unconfirmed relay command is a fault',
  calibration: 'AQ 1029-2019 calibration period (catalytic CH4 15 days; monitoring equipment monthly)',
  integrity: 'AQ 1029-2019 §4.9 pseudo-data marking (sensor anti-falsification) [V]',
  dataGap: 'AQ 6201-2019 §4.7.4 max patrol cycle 30 s: a longer gap is missing data',
} as const;

/** MT/T 1201 abnormality type codes (YCBJ 异常类型, domain.md §5.2). */
export const ABNORMALITY = {
  overLimitAlarm: '001',
  cutoffAlarm: '002',
  feedAbnormal: '003',
  sensorBrokenWire: '004',
  stationCommLoss: '006',
  calibration: '007',
  overRange: '008',
  lowerPreWarning: '010',
} as const;
export type AbnormalityCode = (typeof ABNORMALITY)[keyof typeof ABNORMALITY];
