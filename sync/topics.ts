// MQTT topic layout shared by the uplink, the downlink and the reference receiver:
//   minegate/<mine code>/<substation>/<TYPE>   batches (TYPE = CDSS, YCBJ, GAP, …)
//   minegate/<mine code>/<substation>/cmd      commands from the platform
//   minegate/<mine code>/<substation>/receipt  the platform's signed receipts for verified batches
export const TOPIC_ROOT = 'minegate';
export const COMMAND_SUFFIX = 'cmd';
export const RECEIPT_SUFFIX = 'receipt';

export function batchTopic(mineCode: string, substation: string, type: string): string {
  return `${TOPIC_ROOT}/${mineCode}/${substation}/${type}`;
}

export function commandTopic(mineCode: string, substation: string): string {
  return `${TOPIC_ROOT}/${mineCode}/${substation}/${COMMAND_SUFFIX}`;
}

export function receiptTopic(mineCode: string, substation: string): string {
  return `${TOPIC_ROOT}/${mineCode}/${substation}/${RECEIPT_SUFFIX}`;
}

/** Subscription filter for every batch of every substation (the receiver's default). */
export const ALL_BATCHES = `${TOPIC_ROOT}/+/+/+`;

export function parseTopic(topic: string): { mineCode: string; substation: string; suffix: string } | null {
  const parts = topic.split('/');
  if (parts.length !== 4 || parts[0] !== TOPIC_ROOT) return null;
  const [, mineCode, substation, suffix] = parts as [string, string, string, string];
  if (!/^\d{12}$/.test(mineCode) || substation === '' || suffix === '') return null;
  return { mineCode, substation, suffix };
}

/** MQTT 5 user properties carried by every batch (all strings on the wire). */
export interface BatchProperties {
  v: string;
  stream: string;
  firstSeq: string;
  lastSeq: string;
  records: string;
  name: string;
  prevHash: string;
  hash: string;
  signature: string;
}

export const BATCH_FORMAT_VERSION = '1';
